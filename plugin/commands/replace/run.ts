// `kubectl etcd replace NAME MEMBER`: the member removed from etcd and added again as a new learner on a new
// volume, promoted once caught up (the controller's replacement, SPEC.md "Self-healing"). Preflight with the
// webhook's own policy (V8), the plan with quorum and fault tolerance after each action, confirmation, a
// server-side dry run, the request (annotation replace: MEMBER/ID), then progress until status.lastRepair
// says it is done. `--dry-run` stops after the plan and the server's verdict.
import { Annotations, type EtcdCluster, type MemberRepair } from '../../../core/api.js';
import { voting } from '../../../core/membership.js';
import { evaluateReplace } from '../../../core/policy.js';
import { planReplace } from '../../../core/resize-plan.js';
import { CliError, ExitCode } from '../../cli/errors.js';
import { explain } from '../../cli/explain.js';
import { confirm, follow, openGuided, tookSeconds, type GuidedArgs } from '../../cli/guided.js';
import { err, out } from '../../cli/output.js';
import { patchClusterAnnotations } from '../../kube/resources.js';
import { progressLine } from '../scale/progress.js';
import { planDocument, planText, preflightVerdict } from '../scale/plan.js';
import { insistAllowed, reportDryRun, requestVerdict } from '../request-verdict.js';

export interface ReplaceArgs extends GuidedArgs {
  member: string;
}

/** The replacement of `id` as status records it (started, and completed once the new member votes). */
export function repairOf(c: EtcdCluster, member: string, id: string): MemberRepair | undefined {
  const r = c.status?.lastRepair;
  return r && r.member === member && r.oldId === id ? r : undefined;
}

export async function runReplace(args: ReplaceArgs): Promise<void> {
  const { conn, ns, label, cluster, timeoutMs, format, c, ce } = await openGuided(args, 'plan');
  const id = voting(cluster.status).find((m) => m.name === args.member)?.id;
  const policy = evaluateReplace({ name: args.name, member: args.member, id, status: cluster.status, generation: cluster.metadata.generation });
  const plan = planReplace(args.name, args.member, cluster.status);
  const title = `replace ${args.member}${id ? ` (${id})` : ''} of ${args.name} (namespace ${ns}): remove it, add it again as a new learner on a new volume`;

  if (args.dryRun) {
    let verdict = preflightVerdict(policy);
    if (verdict.allowed && id) verdict = await requestVerdict(conn, ns, args.name, Annotations.replace, `${args.member}/${id}`, policy);
    return reportDryRun({ format, document: planDocument(plan, ns, verdict, { member: args.member, id }), lines: planText(plan, ns, c, title), verdict, ce });
  }
  if (!policy.allowed || !id) throw new CliError(policy.message ?? `denied by rule ${policy.rule}`, ExitCode.denied);
  planText(plan, ns, c, title).forEach((line) => out(line));
  for (const w of policy.warnings) err(ce.yellow(`Warning: ${w}`));
  if (!args.yes) await confirm(`replace ${args.member}`);

  const request = `${args.member}/${id}`;
  insistAllowed(await requestVerdict(conn, ns, args.name, Annotations.replace, request, policy), policy.warnings, ce);
  const asked = await patchClusterAnnotations(conn, ns, args.name, { [Annotations.replace]: request }, false).catch((e: unknown) => { throw explain(e, label); });
  err(`${args.name}: replacement of ${args.member} (${id}) requested`);
  if (!args.wait) {
    out(`${args.name}: follow the replacement of ${args.member} with: kubectl etcd status ${args.name} -n ${ns} --watch`);
    return;
  }
  const final = await follow({
    conn, namespace: ns, name: args.name, timeoutMs, goal: `${args.member} to be replaced`, operation: `the replacement of ${args.member}`, noun: 'the replacement',
    done: (x) => !!repairOf(x, args.member, id)?.completedAt,
    line: (x) => {
      const r = repairOf(x, args.member, id);
      return `${r ? (r.newId ? `new member ${r.newId}` : 'removing the old member') : 'waiting for the controller'}, ${progressLine(x, x.spec.size)}`;
    },
  }, asked.body);
  const r = repairOf(final, args.member, id)!;
  out(`${args.name}: ${args.member} replaced: ${id} -> ${r.newId ?? '-'} in ${tookSeconds(r)}; ${final.status?.readyReplicas ?? 0}/${final.spec.size} ready, phase ${final.status?.phase ?? '-'}`);
}
