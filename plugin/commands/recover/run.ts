// `kubectl etcd recover NAME [--member M]`: only with quorum lost. Shows every voting member's raft term,
// index and revision as the controller read them from each member itself (status.members, with when), proposes
// the most advanced, shows what each other member and the newest revision any member had would lose, asks,
// then requests the recovery (annotation recover: MEMBER/ID, judged by the webhook's V9): the controller
// restarts that member once as a one-member cluster (force-new-cluster) and grows back to spec.size.
// `--dry-run` shows the proposal and the verdict and changes nothing. Never automatic.
import { Annotations, type EtcdCluster, type MemberStatus, type Recovery } from '../../../core/api.js';
import { voting } from '../../../core/membership.js';
import { evaluateRecover, recoveryProposal } from '../../../core/policy.js';
import { CliError, ExitCode } from '../../cli/errors.js';
import { explain } from '../../cli/explain.js';
import { age, dash } from '../../cli/format.js';
import { confirm, follow, openGuided, tookSeconds, type GuidedArgs } from '../../cli/guided.js';
import { err, out, type Colors } from '../../cli/output.js';
import { table } from '../../cli/table.js';
import { patchClusterAnnotations } from '../../kube/resources.js';
import { progressLine } from '../scale/progress.js';
import { preflightVerdict } from '../scale/plan.js';
import { insistAllowed, reportDryRun, requestVerdict } from '../request-verdict.js';

export interface RecoverArgs extends GuidedArgs {
  member?: string;
}

/** What choosing `chosen` discards, member by member: entries beyond its index, revisions beyond its revision. */
export interface Proposal {
  cluster: string;
  chosen?: MemberStatus;
  /** The newest revision any member reported: the last write that may have been acknowledged. */
  newestRevision?: number;
  members: { name: string; id: string; raftTerm?: number; raftIndex?: number; revision?: number; readAt?: string; answers: boolean; loses: string }[];
}

export function proposal(c: EtcdCluster, member?: string): Proposal {
  const members = voting(c.status);
  const chosen = member ? members.find((m) => m.name === member) : recoveryProposal(c.status);
  const revisions = members.map((m) => m.revision).filter((r): r is number => r !== undefined);
  const newestRevision = revisions.length ? Math.max(...revisions) : undefined;
  return {
    cluster: c.metadata.name!,
    chosen,
    newestRevision,
    members: members.map((m) => {
      const answers = m.raftIndex !== undefined;
      let loses: string;
      if (chosen && m.id === chosen.id) loses = 'kept: the cluster restarts from it';
      else if (!answers) loses = 'unknown: it does not answer (its data is discarded)';
      else {
        const entries = chosen?.raftIndex !== undefined ? Math.max(0, m.raftIndex! - chosen.raftIndex) : undefined;
        const revs = chosen?.revision !== undefined && m.revision !== undefined ? Math.max(0, m.revision - chosen.revision) : undefined;
        loses = entries || revs ? `${dash(entries)} entries, ${dash(revs)} revisions beyond ${chosen?.name}` : `nothing beyond ${chosen?.name ?? 'the chosen member'}`;
      }
      return { name: m.name, id: m.id, raftTerm: m.raftTerm, raftIndex: m.raftIndex, revision: m.revision, readAt: m.readAt, answers, loses };
    }),
  };
}

export function proposalText(p: Proposal, ns: string, c: Colors, now: Date): string[] {
  const rows = p.members.map((m) => [m.name, m.id, dash(m.raftTerm), dash(m.raftIndex), dash(m.revision), m.readAt ? age(m.readAt, now) : '-', m.loses]);
  const lines = [c.bold(`Recovery of ${p.cluster} (namespace ${ns}) from lost quorum`), ...table(['MEMBER', 'ID', 'TERM', 'INDEX', 'REVISION', 'READ', 'IF RESTARTED FROM THE PROPOSAL'], rows).map((l) => `  ${l}`)];
  if (!p.chosen) return [...lines, '  No member answers: nothing to restart from (a snapshot is the way back).'];
  const lost = p.newestRevision !== undefined && p.chosen.revision !== undefined && p.newestRevision > p.chosen.revision
    ? `writes up to revision ${p.newestRevision} were seen on some member; from ${p.chosen.name} the cluster goes on from revision ${p.chosen.revision} (${p.newestRevision - p.chosen.revision} revisions lost)`
    : `no member reported a newer revision than ${p.chosen.name}'s ${dash(p.chosen.revision)}: nothing acknowledged is known to be lost`;
  return [
    ...lines,
    `  Proposal: restart ${p.chosen.name} (${p.chosen.id}) once as a one-member cluster (force-new-cluster), then grow back to the wanted size with new members on new volumes.`,
    `  ${lost}.`,
    '  Every other member\'s data is discarded; members that do not answer now lose whatever they have.',
  ];
}

export async function runRecover(args: RecoverArgs): Promise<void> {
  const { conn, ns, label, cluster, timeoutMs, format, c, ce } = await openGuided(args, 'proposal');
  const p = proposal(cluster, args.member);
  const member = p.chosen?.name ?? args.member ?? '-';
  const policy = evaluateRecover({ name: args.name, member, id: p.chosen?.id, status: cluster.status });

  if (args.dryRun) {
    let verdict = preflightVerdict(policy);
    if (verdict.allowed && p.chosen) verdict = await requestVerdict(conn, ns, args.name, Annotations.recover, `${p.chosen.name}/${p.chosen.id}`, policy);
    return reportDryRun({ format, document: { ...p, namespace: ns, verdict }, lines: proposalText(p, ns, c, new Date()), verdict, ce });
  }
  if (!policy.allowed || !p.chosen) throw new CliError(policy.message ?? `denied by rule ${policy.rule}`, ExitCode.denied);
  proposalText(p, ns, c, new Date()).forEach((l) => out(l));
  for (const w of policy.warnings) err(ce.yellow(`Warning: ${w}`));
  if (!args.yes) await confirm(`recover ${args.name} from ${p.chosen.name}`);

  const request = `${p.chosen.name}/${p.chosen.id}`;
  insistAllowed(await requestVerdict(conn, ns, args.name, Annotations.recover, request, policy), policy.warnings, ce);
  const asked = await patchClusterAnnotations(conn, ns, args.name, { [Annotations.recover]: request }, false).catch((e: unknown) => { throw explain(e, label); });
  err(`${args.name}: recovery from ${p.chosen.name} (${p.chosen.id}) requested`);
  if (!args.wait) {
    out(`${args.name}: follow the recovery with: kubectl etcd status ${args.name} -n ${ns} --watch`);
    return;
  }
  const id = p.chosen.id;
  const mine = (x: EtcdCluster): Recovery | undefined => (x.status?.lastRecovery?.id === id ? x.status.lastRecovery : undefined);
  const final = await follow({
    conn, namespace: ns, name: args.name, timeoutMs, goal: `${args.name} to recover from ${p.chosen.name}`, operation: 'the recovery', noun: 'the recovery',
    done: (x) => !!mine(x)?.completedAt,
    line: (x) => {
      const r = mine(x);
      return `${r ? (r.forcedAt ? 'growing back' : 'restarting as a one-member cluster') : 'waiting for the controller'}, ${progressLine(x, x.spec.size)}`;
    },
  }, asked.body);
  const r = mine(final)!;
  out(`${args.name}: recovered from ${r.member} in ${tookSeconds(r)}; ${final.status?.readyReplicas ?? 0}/${final.spec.size} ready, phase ${final.status?.phase ?? '-'}`);
}
