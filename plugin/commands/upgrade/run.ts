// `kubectl etcd upgrade NAME --version X`: preflight with the webhook's own policy (V10, warnings W7/W8), the
// plan in the controller's order (followers first, the leader last) with quorum and fault tolerance while
// each member restarts, confirmation, a server-side dry run, the change (a merge patch of spec.version), then
// progress until status.lastUpgrade says done and etcd's cluster version has reached the new minor.
// `--dry-run` stops after the plan and the server's verdict.
import type { EtcdCluster } from '../../../core/api.js';
import { versionOf } from '../../../core/object-rules.js';
import { evaluateVersionChange, planUpgrade } from '../../../core/version-policy.js';
import { CliError, ExitCode } from '../../cli/errors.js';
import { explain } from '../../cli/explain.js';
import { confirm, follow, openGuided, tookSeconds, type GuidedArgs } from '../../cli/guided.js';
import { err, out } from '../../cli/output.js';
import { patchClusterVersion } from '../../kube/resources.js';
import { dryRunVerdict, insistAllowed, reportDryRun } from '../request-verdict.js';
import { preflightVerdict } from '../scale/plan.js';
import { upgradeDocument, upgradePlanText } from './plan.js';
import { onVersion, onVersionText, upgradeDone, upgradeProgressLine, upgradeTo } from './progress.js';

export interface UpgradeArgs extends GuidedArgs {
  version: string;
}

/** Image tags are often written "v3.5.16"; spec.version is the bare release. */
export const releaseOf = (version: string) => version.replace(/^v(?=\d)/, '');

export async function runUpgrade(args: UpgradeArgs): Promise<void> {
  const { conn, ns, label, cluster, timeoutMs, format, c, ce } = await openGuided(args, 'plan');
  const name = args.name;
  const from = versionOf(cluster.spec);
  const to = releaseOf(args.version);
  const st = cluster.status;
  const policy = evaluateVersionChange({ name, oldVersion: from, newVersion: to, status: st, generation: cluster.metadata.generation });
  const plan = planUpgrade(from, to, st);
  const same = to === from;
  const lines = same ? [nothingToDo(cluster, to, ns)] : upgradePlanText(plan, name, ns, st?.clusterVersion, c);
  const serverVerdict = () => dryRunVerdict(ns, name, policy.warnings, () => patchClusterVersion(conn, ns, name, to, true));

  if (args.dryRun) {
    let verdict = preflightVerdict(policy);
    // Nothing to change is nothing to ask the server about.
    if (verdict.allowed && !same) verdict = await serverVerdict();
    return reportDryRun({ format, document: upgradeDocument(plan, name, ns, verdict), lines, verdict, ce });
  }
  if (!policy.allowed) throw new CliError(policy.message ?? 'denied by rule V10', ExitCode.denied);
  if (same) {
    out(lines[0]);
    return;
  }
  lines.forEach((line) => out(line));
  for (const w of policy.warnings) err(ce.yellow(`Warning: ${w}`));
  if (!args.yes) await confirm(`upgrade ${name} to etcd ${to}`);

  // The webhook's verdict on the real request (its status may be newer than the one read here).
  insistAllowed(await serverVerdict(), policy.warnings, ce);
  const changed = await patchClusterVersion(conn, ns, name, to, false).catch((e: unknown) => { throw explain(e, label); });
  // The generation the change produced: the controller must observe at least this one.
  const generation = changed.body.metadata.generation ?? 0;
  err(`${name}: spec.version ${from} -> ${to}`);
  if (!args.wait) {
    out(`${name}: upgrade ${from} -> ${to} requested; follow it with: kubectl etcd status ${name} -n ${ns} --watch`);
    return;
  }
  const final = await follow({
    conn, namespace: ns, name, timeoutMs, goal: `every member of ${name} to run etcd ${to}`, operation: `the upgrade to ${to}`, noun: 'the upgrade',
    done: (x) => upgradeDone(x, to, generation), line: (x) => upgradeProgressLine(x, to, generation),
  }, changed.body);
  const record = upgradeTo(final, to, generation)!;
  const { on, of } = onVersion(final.status, to);
  const members = on.length === of ? `${of} member${of === 1 ? '' : 's'}` : `${on.length} of ${of} members`;
  out(`${name}: upgraded ${record.from} -> ${to}; ${members} on ${to}, cluster version ${final.status?.clusterVersion ?? '-'} (took ${tookSeconds(record)})`);
}

/** Asked for the version it already wants: nothing to change (an upgrade to it may still be rolling out). */
function nothingToDo(cluster: EtcdCluster, to: string, ns: string): string {
  const name = cluster.metadata.name ?? '';
  const open = cluster.status?.lastUpgrade;
  const rolling = open && !open.completedAt && open.to === to
    ? `; the upgrade ${open.from} -> ${to} is in progress (${onVersionText(cluster.status, to)}): follow it with kubectl etcd status ${name} -n ${ns} --watch`
    : '';
  return `${name} already wants etcd ${to}; nothing to change${rolling}`;
}
