// `kubectl etcd scale NAME --replicas N`: preflight with the webhook's own policy, a plan with quorum and
// fault tolerance (healthy members only) after each step, confirmation, a server-side dry run, the change
// through /scale, then progress until done. `--dry-run` stops after the plan and the server's verdict.
import { Annotations } from '../../../core/api.js';
import { findCondition } from '../../../core/conditions.js';
import { evaluateResize, type PolicyVerdict } from '../../../core/policy.js';
import { planResize, planStart, type ResizePlan } from '../../../core/resize-plan.js';
import { CliError, ExitCode } from '../../cli/errors.js';
import { explain } from '../../cli/explain.js';
import { confirm, follow, openGuided, type GuidedArgs } from '../../cli/guided.js';
import { err, out, type Colors } from '../../cli/output.js';
import type { Connection } from '../../kube/connection.js';
import { getCluster, patchScale } from '../../kube/resources.js';
import { dryRunVerdict, insistAllowed, reportDryRun } from '../request-verdict.js';
import { planDocument, planText, preflightVerdict, type Verdict } from './plan.js';
import { progressLine, resizeDone } from './progress.js';

export interface ScaleArgs extends GuidedArgs {
  replicas: number;
  maxSize: number;
}


export async function runScale(args: ScaleArgs): Promise<void> {
  const { conn, ns, label, cluster, timeoutMs, format, c, ce } = await openGuided(args, 'plan');
  const from = cluster.spec.size;
  const to = args.replicas;

  const policy = evaluateResize({
    operation: 'UPDATE',
    oldSize: from,
    newSize: to,
    status: cluster.status,
    generation: cluster.metadata.generation,
    forceResize: cluster.metadata.annotations?.[Annotations.forceResize] === 'true',
    maxSize: args.maxSize,
    name: args.name,
    repairPolicy: cluster.spec.repair?.policy,
  });
  const plan = planResize(args.name, planStart(from, cluster.status), to, cluster.status, { replaceKept: (cluster.spec.repair?.policy ?? 'Auto') === 'Auto' });
  if (args.dryRun) return dryRun(conn, ns, args, from, plan, policy, { c, ce, format });
  if (!policy.allowed) throw new CliError(policy.message ?? `denied by rule ${policy.rule}`, ExitCode.denied);
  if (to === from) {
    out(`${args.name} already wants ${to} members; nothing to change`);
    return;
  }

  planText(plan, ns, c).forEach((line) => out(line));
  for (const w of policy.warnings) err(ce.yellow(`Warning: ${w}`));

  if (!args.yes) await confirm('resize');

  // The webhook's verdict on the real request (it may know a lower --max-size, or a newer status).
  insistAllowed(await serverVerdict(conn, ns, args.name, to, policy.warnings), policy.warnings, ce);
  const done = await patchScale(conn, ns, args.name, to, false).catch((e: unknown) => { throw explain(e, label); });
  // The generation the change produced: the controller must observe at least this one.
  const after = await getCluster(conn, ns, args.name).catch((e: unknown) => { throw explain(e, label); });
  const generation = after.metadata.generation ?? 0;
  err(`${args.name} scaled: spec.size ${from} -> ${done.body.spec?.replicas ?? to}`);
  if (!args.wait) {
    out(`${args.name}: resize ${from} -> ${to} requested; follow it with: kubectl etcd status ${args.name} -n ${ns} --watch`);
    return;
  }
  const final = await follow({
    conn, namespace: ns, name: args.name, timeoutMs, goal: `${args.name} to reach ${to} members`, operation: `the resize to ${to}`, noun: 'the resize',
    done: (c) => resizeDone(c, to, generation), line: (c) => progressLine(c, to),
  }, after);
  const degraded = findCondition(final.status, 'Degraded');
  if (final.status?.phase === 'Degraded' && degraded?.status === 'True') {
    out(`${args.name}: resized ${from} -> ${to}; ${to} voting members, but Degraded: ${degraded.message}`);
    err(ce.yellow(`Warning: the resize is done, the cluster is not healthy: kubectl etcd status ${args.name} -n ${ns}`));
    return;
  }
  out(`${args.name}: resized ${from} -> ${to}; Running with ${to} voting members`);
}

interface Looks { c: Colors; ce: Colors; format?: 'json' | 'yaml' }

/** The plan and the verdict, and nothing changed: exit 0 when allowed, 2 when denied. */
async function dryRun(conn: Connection, ns: string, args: ScaleArgs, from: number, plan: ResizePlan, policy: PolicyVerdict, looks: Looks): Promise<void> {
  let verdict = preflightVerdict(policy);
  // Nothing to change is nothing to ask the server about.
  if (verdict.allowed && args.replicas !== from) verdict = await serverVerdict(conn, ns, args.name, args.replicas, policy.warnings);
  await reportDryRun({ format: looks.format, document: planDocument(plan, ns, verdict), lines: planText(plan, ns, looks.c), verdict, ce: looks.ce });
}

/** The API server's answer to the change as a dry run: the webhook's verdict on the real request, warnings included. */
function serverVerdict(conn: Connection, ns: string, name: string, to: number, local: string[]): Promise<Verdict> {
  return dryRunVerdict(ns, name, local, () => patchScale(conn, ns, name, to, true));
}
