// What deserves an operator's attention in a cluster's state: the Warnings section of `kubectl etcd status`.
// Pure: callers pass what they read (the EtcdCluster, with each member's figures as the controller read them,
// and its pods) and the time.
import type { EtcdClusterStatus } from './api.js';
import { findCondition } from './conditions.js';
import { faultTolerance, quorum } from './quorum.js';

/** etcd's default backend quota (--quota-backend-bytes unset). */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 ** 3;
export const DB_QUOTA_WARN_RATIO = 0.8;
/** A learner normally catches up in seconds; longer than this means it is stuck. */
export const LEARNER_STUCK_MS = 2 * 60 * 1000;

export type WarningCode = 'EvenSize' | 'LearnerStuck' | 'MemberUnhealthy' | 'MemberAlarm' | 'DbNearQuota' | 'StatusStale' | 'SharedNode';

export interface ClusterWarning {
  code: WarningCode;
  message: string;
}

export interface MemberFacts {
  name: string;
  /** As the controller last read it from the member (status.members); undefined when it did not answer. */
  dbSize?: number;
  /** When the member's pod was created (RFC 3339). */
  podCreatedAt?: string;
  /** The node its pod runs on. */
  node?: string;
}

export interface WarningFacts {
  specSize: number;
  generation?: number;
  status?: EtcdClusterStatus;
  members: MemberFacts[];
  /** The cluster's backend quota (spec.etcdOptions.quotaBackendBytes); etcd's default when absent. */
  quotaBytes?: number;
  now: Date;
}

export function clusterWarnings(f: WarningFacts): ClusterWarning[] {
  const out: ClusterWarning[] = [];
  const st = f.status;
  if (st?.observedGeneration !== undefined && f.generation !== undefined && st.observedGeneration < f.generation) {
    out.push({ code: 'StatusStale', message: `status is stale: the controller observed generation ${st.observedGeneration} of ${f.generation}; it may be down or busy (check its logs)` });
  }
  const size = st?.size ?? f.specSize;
  if (size % 2 === 0) {
    out.push({ code: 'EvenSize', message: `even size ${size}: it tolerates ${faultTolerance(size)} failure(s), no more than ${size - 1} members would; prefer an odd size` });
  }
  for (const m of st?.members ?? []) {
    if (!m.healthy) {
      const role = m.isLearner ? 'learner' : 'voting member';
      out.push({ code: 'MemberUnhealthy', message: `${role} ${m.name} is unhealthy; quorum needs ${quorum(st?.size ?? size)} healthy voting members` });
    }
    // What etcd itself reports wrong (an alarm such as NOSPACE, no leader): the reason behind "unhealthy".
    if (m.alarms?.length) out.push({ code: 'MemberAlarm', message: `${m.name}: etcd reports ${m.alarms.join('; ')}` });
    if (m.isLearner) {
      const since = learnerSince(f, m.name);
      if (since !== undefined && f.now.getTime() - since > LEARNER_STUCK_MS) {
        out.push({ code: 'LearnerStuck', message: `learner ${m.name} has not been promoted for ${Math.round((f.now.getTime() - since) / 60000)} min: it may not be catching up with the leader (check its pod and logs)` });
      }
    }
  }
  const quota = f.quotaBytes ?? DEFAULT_QUOTA_BYTES;
  const quotaText = f.quotaBytes === undefined ? 'the default 2 GiB quota' : `its ${formatGiB(quota)} quota`;
  for (const m of f.members) {
    if (m.dbSize !== undefined && m.dbSize > DB_QUOTA_WARN_RATIO * quota) {
      const pct = Math.round((m.dbSize / quota) * 100);
      out.push({ code: 'DbNearQuota', message: `${m.name}: database is ${pct}% of ${quotaText}: compact and defragment, or raise spec.etcdOptions.quotaBackendBytes, before etcd raises a NOSPACE alarm` });
    }
  }
  const shared = sharedNode(st, f.members);
  if (shared) out.push(shared);
  return out;
}

const formatGiB = (bytes: number) => `${Number((bytes / 1024 ** 3).toFixed(2))} GiB`;

/** Voting members on one node, more of them than the cluster tolerates losing: that node's loss takes quorum with it. */
function sharedNode(st: EtcdClusterStatus | undefined, members: MemberFacts[]): ClusterWarning | undefined {
  const votingNames = new Set((st?.members ?? []).filter((m) => !m.isLearner).map((m) => m.name));
  const byNode = new Map<string, string[]>();
  for (const m of members) if (m.node && votingNames.has(m.name)) byNode.set(m.node, [...(byNode.get(m.node) ?? []), m.name]);
  const tolerated = faultTolerance(votingNames.size);
  const [node, names] = [...byNode.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
  if (!node || !names || names.length <= tolerated || votingNames.size < 2) return undefined;
  return {
    code: 'SharedNode',
    message: `${names.join(', ')} run on one node (${node}): losing it loses ${names.length} of ${votingNames.size} voting members, more than the ${tolerated} tolerated; ` +
      'give the scheduler nodes enough for one member each (the pods prefer distinct nodes), or set spec.podTemplate.spec.affinity',
  };
}

/** A learner exists from when its pod was created, else (no pod yet) from when the resize started. */
function learnerSince(f: WarningFacts, name: string): number | undefined {
  const created = f.members.find((m) => m.name === name)?.podCreatedAt;
  const started = findCondition(f.status, 'Progressing')?.lastTransitionTime;
  const t = Date.parse(created ?? started ?? '');
  return Number.isNaN(t) ? undefined : t;
}
