// `kubectl etcd status NAME` as text: sections in a fixed order (Summary, Resize, Repair, Members,
// Conditions, Events, Warnings, Could not read), each a pure function of the view.
import { findCondition } from '../../../core/conditions.js';
import { faultTolerance, quorum } from '../../../core/quorum.js';
import { resizeRecordFor } from '../../../core/resize-record.js';
import { age, bytes, dash, duration } from '../../cli/format.js';
import type { Colors } from '../../cli/output.js';
import { keyValues, table } from '../../cli/table.js';
import type { ClusterView, MemberView } from './view.js';

export interface RenderOptions {
  colors: Colors;
  wide: boolean;
}

/** How many of the newest Events `status` shows. */
const EVENTS_SHOWN = 10;

export function renderStatus(v: ClusterView, o: RenderOptions): string {
  const sections: [string, string[]][] = [
    ['Summary', summary(v, o.colors)],
    ['Resize', resize(v)],
    ['Repair', repair(v)],
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
  const running = [...new Set(v.members.map((m) => m.version).filter((x): x is string => !!x))];
  // Only a difference is news: members on another version than asked (an upgrade under way, an image that lies).
  const differs = running.some((r) => r !== spec.version);
  const version = `${spec.version ?? '-'}${differs ? ` (running ${running.join(', ')})` : ''}`;
  return keyValues([
    ['Name', `${meta.name} (namespace ${meta.namespace})`],
    ['Phase', phaseColor(st?.phase, c)],
    ['Size', size],
    ['Quorum', q],
    ['Leader', v.leader ? `${v.leader}${leaderId ? ` (${leaderId})` : ''}` : c.yellow('none')],
    ['Version', version],
    ['Age', age(meta.creationTimestamp, v.now)],
  ]);
}

export function resize(v: ClusterView): string[] {
  const { metadata: meta, spec, status: st } = v.cluster;
  const progressing = findCondition(st, 'Progressing');
  const unobserved = st?.observedGeneration !== undefined && meta.generation !== undefined && st.observedGeneration < meta.generation;
  const inProgress = progressing?.status === 'True' || (unobserved && spec.size !== st?.size);
  const last = st?.lastResize;
  if (inProgress) {
    const step = progressing?.status === 'True' ? `${progressing.reason}: ${progressing.message}` : 'waiting for the controller to pick up the change';
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
  const progressing = findCondition(st, 'Progressing');
  const step = progressing?.status === 'True' ? `${progressing.reason}: ${progressing.message}` : '-';
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
  if (rep && !rep.completedAt) {
    return keyValues([
      ['Replacement in progress', `${rep.member} (${rep.oldId}) -> ${rep.newId ?? 'not added yet'}`],
      ['Why', `${rep.reason}: ${rep.message}`],
      ['Requested by', dash(rep.requestedBy)],
      ['Started', started(rep.startedAt)],
      ['Step', step],
      ['Elapsed', age(rep.startedAt, v.now)],
    ]);
  }
  if (!rep && !rec) return ['No replacement or recovery recorded'];
  return keyValues([
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

export function members(v: ClusterView, o: RenderOptions): string[] {
  if (v.members.length === 0) return ['No members yet'];
  const c = o.colors;
  const headers = ['NAME', 'ID', 'ROLE', 'HEALTH', 'VERSION', 'DB SIZE', 'TERM', 'INDEX', 'LAG', 'POD READY', 'RESTARTS'];
  if (o.wide) headers.push('PEER URL', 'POD IP', 'NODE');
  const rows = v.members.map((m) => {
    const ready = m.podReady === undefined ? c.yellow('no pod') : m.podReady ? 'yes' : c.yellow(`no${m.podPhase ? ` (${m.podPhase})` : ''}`);
    const row = [m.name, dash(m.id), role(m, c), health(m, c), dash(m.version), bytes(m.dbSize), dash(m.raftTerm), dash(m.raftIndex),
      m.lag === undefined ? '-' : m.lag > 0 ? c.yellow(String(m.lag)) : '0', ready, dash(m.restarts)];
    if (o.wide) row.push(dash(m.peerURL), dash(m.podIP), dash(m.node));
    return row;
  });
  return table(headers, rows);
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
  if (v.warnings.length === 0) return ['None'];
  return v.warnings.map((w) => c.yellow(`! ${w.message}`));
}

/** For callers that print a quorum figure for a size that is not there yet (the list). */
export function quorumText(n: number): string {
  return n === 0 ? '-' : `${quorum(n)}/${n}`;
}
