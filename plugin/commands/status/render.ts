// `kubectl etcd status NAME` as text: sections in a fixed order (Summary, Resize, Repair, Upgrade, Backups (with
// spec.backup), Members, Conditions, Events, Warnings, Could not read), each a pure function of the view.
import { RolloutReasons } from '../../../core/rollout.js';
import type { BackupSpec, Condition, EtcdCluster, MemberStatus } from '../../../core/api.js';
import { DEFAULT_KEEP } from '../../../core/backup-rules.js';
import { checkSchedule, schedulePeriodMs } from '../../../core/backup-schedule.js';
import { findCondition } from '../../../core/conditions.js';
import { membersByVersion } from '../../../core/last-upgrade.js';
import { voting } from '../../../core/membership.js';
import { versionOf } from '../../../core/object-rules.js';
import { faultTolerance, quorum } from '../../../core/quorum.js';
import { resizeRecordFor } from '../../../core/resize-record.js';
import { age, bytes, dash, duration } from '../../cli/format.js';
import type { Colors } from '../../cli/output.js';
import { keyValues, table } from '../../cli/table.js';
import { pendingRequest } from '../snapshot/request.js';
import { errorSinceLastSnapshot, errorText, newestSnapshot, scheduleText, when } from '../snapshots/render.js';
import { onVersionText, rolloutHeld } from '../upgrade/progress.js';
import { LAG_COMPARABLE_MS, type ClusterView, type MemberView } from './view.js';

export interface RenderOptions {
  colors: Colors;
  wide: boolean;
}

/** How many of the newest Events `status` shows. */
const EVENTS_SHOWN = 10;
/** Progressing reasons of a rollout (status-derive.ts). */
const ROLLOUT_REASONS = new Set<string>([RolloutReasons.upgrading, RolloutReasons.rollingRestart]);

/** The step reached, as Progressing says it ("Reason: message"), or `otherwise` when nothing progresses. */
const stepOf = (p: Condition | undefined, otherwise: string) => (p?.status === 'True' ? `${p.reason}: ${p.message}` : otherwise);

/** The controller has not yet seen the spec as it is now. */
function unobserved(v: ClusterView): boolean {
  const { metadata: meta, status: st } = v.cluster;
  return st?.observedGeneration !== undefined && meta.generation !== undefined && st.observedGeneration < meta.generation;
}

export function renderStatus(v: ClusterView, o: RenderOptions): string {
  const sections: [string, string[]][] = [
    ['Summary', summary(v, o.colors)],
    ['Resize', resize(v)],
    ['Repair', repair(v)],
    ['Upgrade', upgrade(v)],
    // Only where backups are asked for: a cluster without spec.backup has nothing to show here.
    ...(v.cluster.spec.backup ? [['Backups', backups(v, v.cluster.spec.backup, o.colors)] as [string, string[]]] : []),
    ['Members', members(v, o)],
    ['Conditions', conditions(v, o.colors)],
    ['Events', events(v, o)],
    ['Warnings', warnings(v, o.colors)],
  ];
  if (v.unreadable.length > 0) sections.push(['Could not read', v.unreadable.map((u) => `- ${u}`)]);
  return sections.map(([title, lines]) => [o.colors.bold(title), ...lines.map((l) => `  ${l}`)].join('\n')).join('\n\n') + '\n';
}

export function phaseColor(phase: string | undefined, c: Colors): string {
  const p = phase ?? 'Unknown';
  if (p === 'Running') return c.green(p);
  if (p === 'Degraded' || p === 'Failed') return c.red(p);
  return c.yellow(p);
}

export function summary(v: ClusterView, c: Colors): string[] {
  const { metadata: meta, spec, status: st } = v.cluster;
  const learners = (st?.members ?? []).filter((m) => m.isLearner).length;
  const wanted = spec.size;
  const size = `${wanted} wanted, ${st?.size ?? v.voting} voting${learners ? ` + ${learners} learner` : ''}, ${st?.readyReplicas ?? 0} ready`;
  let q: string;
  if (v.voting === 0) q = 'not formed yet';
  else if (v.healthyVoting < v.quorum) q = c.red(`LOST: ${v.healthyVoting} healthy of ${v.voting} voting, quorum needs ${v.quorum}`);
  else {
    const tol = `tolerates ${v.tolerates} failure${v.tolerates === 1 ? '' : 's'} now`;
    const full = v.tolerates < faultTolerance(v.voting) ? ` (${faultTolerance(v.voting)} when all are healthy)` : '';
    q = `${v.quorum} of ${v.voting} (${v.healthyVoting} healthy), ${v.tolerates === 0 ? c.yellow(tol) : tol}${full}`;
  }
  const leaderId = v.members.find((m) => m.name === v.leader)?.id;
  return keyValues([
    ['Name', `${meta.name} (namespace ${meta.namespace})`],
    ['Phase', phaseColor(st?.phase, c)],
    ['Size', size],
    ['Quorum', q],
    ['Leader', v.leader ? `${v.leader}${leaderId ? ` (${leaderId})` : ''}` : c.yellow('none')],
    ['Version', `${versionOf(spec)}${versionNote(versionOf(spec), v.members)}`],
    ['Cluster version', dash(st?.clusterVersion)],
    ['TLS', tlsText(spec)],
    ['Age', age(meta.creationTimestamp, v.now)],
  ]);
}

/** What protects peer and client traffic (spec.tls). */
function tlsText(spec: ClusterView['cluster']['spec']): string {
  const tls = spec.tls;
  if (!tls?.enabled) return 'off (plain HTTP)';
  return `mutual, peers and clients (${tls.issuerRef ? `cert-manager ${tls.issuerRef.kind ?? 'Issuer'} ${tls.issuerRef.name}` : 'the operator\'s own CA'})`;
}

export function resize(v: ClusterView): string[] {
  const { metadata: meta, spec, status: st } = v.cluster;
  const condition = findCondition(st, 'Progressing');
  // A rollout (a version, a new pod template) is Progressing too, and never a resize: the Upgrade section shows it.
  const progressing = condition && !ROLLOUT_REASONS.has(condition.reason) ? condition : undefined;
  const inProgress = progressing?.status === 'True' || (unobserved(v) && spec.size !== st?.size);
  const last = st?.lastResize;
  if (inProgress) {
    const step = stepOf(progressing, 'waiting for the controller to pick up the change');
    // The resize as asked for: the controller's record of it, else (not picked up yet) the request the webhook
    // recorded. Growing to the first size is creating the cluster, not a resize.
    const open = last && !last.completedAt && last.to === spec.size ? last : undefined;
    const mine = v.events.filter((e) => !meta.uid || !e.involvedObject?.uid || e.involvedObject.uid === meta.uid);
    const asked = open ? undefined : resizeRecordFor(mine, spec.size, last?.startedAt);
    if (!open && !asked && (st?.phase === 'Creating' || st?.phase === 'Pending' || !st?.phase)) {
      return keyValues([['Creating', `${spec.size} member${spec.size === 1 ? '' : 's'}, ${st?.size ?? 0} voting so far`], ['Step', step]]);
    }
    const from = open?.from ?? asked?.from ?? st?.size;
    const at = open?.startedAt ?? asked?.requestedAt ?? progressing?.lastTransitionTime;
    return keyValues([
      ['In progress', `${dash(from)} -> ${spec.size}`],
      ['Requested by', dash(open ? open.requestedBy : asked?.requestedBy)],
      ['Started', at ? `${at} (${age(at, v.now)} ago)` : '-'],
      ['Step', step],
      ['Elapsed', at ? age(at, v.now) : '-'],
    ]);
  }
  if (!last) return ['No resize recorded'];
  const took = last.startedAt && last.completedAt ? tookText(Date.parse(last.completedAt) - Date.parse(last.startedAt)) : undefined;
  return keyValues([
    ['Last resize', `${last.from} -> ${last.to}`],
    ['Requested by', dash(last.requestedBy)],
    ['Started', last.startedAt ? `${last.startedAt} (${age(last.startedAt, v.now)} ago)` : '-'],
    ['Took', took ?? (last.completedAt ? '-' : 'not completed')],
  ]);
}

/**
 * A replacement or a recovery as a resize shows: in progress with the step reached (the Progressing
 * condition's message) and the time so far, else the last of each (what, why, who asked, when, how long).
 */
export function repair(v: ClusterView): string[] {
  const st = v.cluster.status;
  const rep = st?.lastRepair;
  const rec = st?.lastRecovery;
  const step = stepOf(findCondition(st, 'Progressing'), '-');
  const started = (at: string) => `${at} (${age(at, v.now)} ago)`;
  const took = (from: string, to?: string) => (to ? tookText(Date.parse(to) - Date.parse(from)) : 'not completed');
  const lost = (r: NonNullable<typeof rec>) => r.lost.map((m) => `${m.member} (${m.id})`).join(', ') || 'none';
  if (rec && !rec.completedAt) {
    return keyValues([
      ['Recovery in progress', `from ${rec.member} (${rec.id}), quorum lost`],
      ['Requested by', dash(rec.requestedBy)],
      ['Started', started(rec.startedAt)],
      ['Forced new cluster', rec.forcedAt ? started(rec.forcedAt) : 'not yet'],
      ['Discarded', lost(rec)],
      ['Step', step],
      ['Elapsed', age(rec.startedAt, v.now)],
    ]);
  }
  // Members removed ahead of their replacement (a hung member blocks any new one): replaced after the current one.
  const queued: [string, string][] = (st?.pendingRepairs ?? []).map((p) => ['Queued', `${p.member} (${p.oldId}), ${p.reason}: removed, replaced next`]);
  if (rep && !rep.completedAt) {
    return keyValues([
      ['Replacement in progress', `${rep.member} (${rep.oldId}) -> ${rep.newId ?? 'not added yet'}`],
      ['Why', `${rep.reason}: ${rep.message}`],
      ['Requested by', dash(rep.requestedBy)],
      ['Started', started(rep.startedAt)],
      ['Step', step],
      ['Elapsed', age(rep.startedAt, v.now)],
      ...queued,
    ]);
  }
  if (!rep && !rec) return ['No replacement or recovery recorded'];
  return keyValues([
    ...queued,
    ...(rep ? [
      ['Last replacement', `${rep.member} (${rep.oldId}) -> ${dash(rep.newId)}`],
      ['Why', `${rep.reason}: ${rep.message}`],
      ['Requested by', dash(rep.requestedBy)],
      ['Started', started(rep.startedAt)],
      ['Took', took(rep.startedAt, rep.completedAt)],
    ] as [string, string][] : []),
    ...(rec ? [
      ['Last recovery', `from ${rec.member} (${rec.id}); discarded ${lost(rec)}`],
      ['Requested by', dash(rec.requestedBy)],
      ['Started', started(rec.startedAt)],
      ['Took', took(rec.startedAt, rec.completedAt)],
    ] as [string, string][] : []),
  ]);
}

/** " (2 of 3 on 3.4.23)": members whose running version is not the one asked for; "" when none differs. */
export function versionNote(want: string, members: Pick<MemberStatus, 'name' | 'version'>[]): string {
  const others = [...membersByVersion(members.filter((m) => m.version && m.version !== want))];
  if (!others.length) return '';
  return ` (${others.map(([version, names]) => `${names.length} of ${members.length} on ${version}`).join(', ')})`;
}

/**
 * A version change as a resize shows: in progress (status.lastUpgrade without completedAt) with the members on
 * the new version (as they told the controller, as `upgrade --wait` counts them), the step reached and what
 * holds it; else a spec.version the members do not run yet while the controller has not seen it or another
 * change goes first; else the last upgrade.
 */
export function upgrade(v: ClusterView): string[] {
  const { spec, status: st } = v.cluster;
  const last = st?.lastUpgrade;
  const progressing = findCondition(st, 'Progressing');
  const started = (at: string) => `${at} (${age(at, v.now)} ago)`;
  if (last && !last.completedAt) {
    const held = rolloutHeld(st);
    return keyValues([
      ['In progress', `${last.from} -> ${last.to}`],
      ['Requested by', dash(last.requestedBy)],
      ['Started', started(last.startedAt)],
      ['Upgraded', onVersionText(st, last.to)],
      ['Cluster version', dash(st?.clusterVersion)],
      ['Step', stepOf(progressing, '-')],
      ...(held ? [[held.reason === RolloutReasons.stuck ? 'Stuck' : 'Paused', `${held.reason}: ${held.message}`] as [string, string]] : []),
      ['Elapsed', age(last.startedAt, v.now)],
    ]);
  }
  const want = versionOf(spec);
  const behind = versionNote(want, voting(st));
  if (behind && last?.to !== want && (unobserved(v) || progressing?.status === 'True')) {
    // Asked for, not begun: the controller has not seen it yet, or another change goes first.
    return keyValues([['Not started', `${want} wanted${behind}`], ['Step', stepOf(progressing, 'waiting for the controller to pick up the change')]]);
  }
  if (!last) return ['No upgrade recorded'];
  return keyValues([
    ['Last upgrade', `${last.from} -> ${last.to}`],
    ['Requested by', dash(last.requestedBy)],
    ['Started', started(last.startedAt)],
    ['Took', tookText(Date.parse(last.completedAt!) - Date.parse(last.startedAt))],
  ]);
}

/**
 * spec.backup and what status.backup says of it: the newest snapshot, the next scheduled one, a failure since the
 * last snapshot, a request not served yet, and a warning when snapshots fell behind the schedule.
 */
export function backups(v: ClusterView, spec: BackupSpec, c: Colors): string[] {
  const b = v.cluster.status?.backup;
  const valid = spec.schedule ? checkSchedule(spec.schedule) : undefined;
  const newest = newestSnapshot(b);
  const failed = errorSinceLastSnapshot(b);
  const pending = pendingRequest(v.cluster);
  const warning = backupWarning(v.cluster, v.now);
  const next = b?.nextScheduleTime;
  const rows: [string, string][] = [
    ['Schedule', valid && !valid.ok ? c.red(valid.error) : scheduleText(spec)],
    ['Keep', `${spec.keep ?? DEFAULT_KEEP}${spec.keep === undefined ? ' (default)' : ''}, ${b?.snapshots?.length ?? 0} kept now`],
    ['Newest', newest ? `${newest.name}, revision ${newest.revision}, taken ${age(newest.takenAt, v.now)} ago` : 'none yet'],
  ];
  if (spec.schedule) rows.push(['Next', next ? `${next} (${nextIn(Date.parse(next) - v.now.getTime())})` : '-']);
  if (failed) rows.push(['Last error', c.red(errorText(failed, v.now))]);
  if (pending) rows.push(['Requested', `${when(pending, v.now)}, not taken yet`]);
  if (warning) rows.push(['Warning', c.yellow(warning)]);
  return keyValues(rows);
}

/** How far off the next scheduled snapshot is; one past its time is being started (or retried). */
const nextIn = (ms: number) => (ms > 0 ? `in ${duration(ms)}` : 'due now');

/**
 * Scheduled snapshots that fell behind: the newest older than two periods of the schedule, or none at all once the
 * cluster has run that long. One missed run can be a retry; two mean nothing is coming.
 */
export function backupWarning(cluster: EtcdCluster, now: Date): string | undefined {
  const schedule = cluster.spec.backup?.schedule;
  if (!schedule || !checkSchedule(schedule).ok) return undefined;
  const twice = 2 * schedulePeriodMs(schedule, now);
  const newest = newestSnapshot(cluster.status?.backup);
  const since = now.getTime() - Date.parse((newest ? newest.takenAt : cluster.metadata.creationTimestamp) ?? '');
  if (!(since > twice)) return undefined;
  const what = newest ? `the newest snapshot is ${duration(since)} old` : `no snapshot yet, though the cluster has run for ${duration(since)}`;
  const { name, namespace } = cluster.metadata;
  return `${what}: more than two periods (${duration(twice)}) of the schedule "${schedule}"; why: the BackupReady condition and the Events (kubectl -n ${namespace} describe etcdcluster ${name})`;
}

/** Resizes take seconds: tenths below a minute ("2.3s"), kubectl's units above. */
function tookText(ms: number): string {
  return ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : duration(ms);
}

function health(m: MemberView, c: Colors): string {
  if (m.healthy === undefined) return m.notAMember ? c.yellow('not a member') : '-';
  return m.healthy ? c.green('healthy') : c.red('unhealthy');
}

function role(m: MemberView, c: Colors): string {
  if (m.role === 'leader') return c.bold('leader');
  if (m.role === 'learner') return c.yellow('learner');
  return dash(m.role);
}

/** Said under the member table: the figures are the controller's reads, not etcd's answer now. */
const FIGURES_NOTE = `READ: how long ago the controller read each member's figures; LAG only against the leader's read within ${duration(LAG_COMPARABLE_MS)}.`;

export function members(v: ClusterView, o: RenderOptions): string[] {
  if (v.members.length === 0) return ['No members yet'];
  const c = o.colors;
  const headers = ['NAME', 'ID', 'ROLE', 'HEALTH', 'VERSION', 'DB SIZE', 'TERM', 'INDEX', 'LAG', 'READ', 'POD READY', 'RESTARTS'];
  if (o.wide) headers.push('PEER URL', 'POD IP', 'NODE');
  const rows = v.members.map((m) => {
    const ready = m.podReady === undefined ? c.yellow('no pod') : m.podReady ? 'yes' : c.yellow(`no${m.podPhase ? ` (${m.podPhase})` : ''}`);
    const row = [m.name, dash(m.id), role(m, c), health(m, c), dash(m.version), bytes(m.dbSize), dash(m.raftTerm), dash(m.raftIndex),
      m.lag === undefined ? '-' : m.lag > 0 ? c.yellow(String(m.lag)) : '0', age(m.readAt, v.now), ready, dash(m.restarts)];
    if (o.wide) row.push(dash(m.peerURL), dash(m.podIP), dash(m.node));
    return row;
  });
  return [...table(headers, rows), FIGURES_NOTE];
}

export function conditions(v: ClusterView, c: Colors): string[] {
  const list = v.cluster.status?.conditions ?? [];
  if (list.length === 0) return ['None reported'];
  return table(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], list.map((x) => {
    const bad = (x.type === 'Degraded' && x.status === 'True') || (x.type === 'Available' && x.status !== 'True');
    return [x.type, bad ? c.red(x.status) : x.status, x.reason, age(x.lastTransitionTime, v.now), x.message];
  }));
}

export function events(v: ClusterView, o: RenderOptions): string[] {
  const list = v.events.slice(-EVENTS_SHOWN);
  if (list.length === 0) return ['None recent'];
  return table(['LAST SEEN', 'TYPE', 'REASON', 'MESSAGE'], list.map((e) => [
    age(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp, v.now) + ((e.count ?? 1) > 1 ? ` (x${e.count})` : ''),
    e.type === 'Warning' ? o.colors.yellow(e.type) : dash(e.type),
    dash(e.reason),
    dash(e.message),
  ]));
}

export function warnings(v: ClusterView, c: Colors): string[] {
  const backup = backupWarning(v.cluster, v.now);
  const all = [...v.warnings.map((w) => w.message), ...(backup ? [`backups: ${backup}`] : [])];
  if (all.length === 0) return ['None'];
  return all.map((w) => c.yellow(`! ${w}`));
}

/** For callers that print a quorum figure for a size that is not there yet (the list). */
export function quorumText(n: number): string {
  return n === 0 ? '-' : `${quorum(n)}/${n}`;
}
