// One cluster as `status` shows it: the EtcdCluster's status (with each member's figures as the controller
// last read them from the member) merged with its pods. Pure, so every section can be rendered from fixed
// inputs in tests.
import type { EtcdCluster, MemberStatus } from '../../../core/api.js';
import { byOrdinal, healthyVoting, voting } from '../../../core/membership.js';
import { quorum, tolerates } from '../../../core/quorum.js';
import { clusterWarnings, type ClusterWarning } from '../../../core/warnings.js';
import type { KubeEvent, Pod } from '../../kube/resources.js';

/**
 * Lag is the leader's raft index minus the member's, so both must describe about the same moment. The
 * controller rewrites every answering member's figures together (one readAt), but a member that did not answer
 * that pass keeps none, and figures read further apart would count the writes made in between as lag.
 */
export const LAG_COMPARABLE_MS = 5_000;

export type Role = 'leader' | 'follower' | 'learner';

export interface MemberView {
  name: string;
  id?: string;
  role?: Role;
  /** As the controller last saw it (status.members). */
  healthy?: boolean;
  /** As the controller last read them from the member (status.members); absent when it did not answer. */
  version?: string;
  dbSize?: number;
  raftTerm?: number;
  raftIndex?: number;
  /** When the controller read these figures (RFC 3339). */
  readAt?: string;
  /** Entries behind the leader's raft index, when both were read within LAG_COMPARABLE_MS of each other. */
  lag?: number;
  peerURL?: string;
  podReady?: boolean;
  podPhase?: string;
  restarts?: number;
  podIP?: string;
  node?: string;
  podCreatedAt?: string;
  /** A pod of the cluster that etcd's member list (as last seen) does not include. */
  notAMember?: boolean;
}

export interface ClusterView {
  cluster: EtcdCluster;
  members: MemberView[];
  events: KubeEvent[];
  /** What could not be read, one line each ("pods: forbidden ..."). */
  unreadable: string[];
  warnings: ClusterWarning[];
  /** Leader as the controller last saw it (status.leader). */
  leader?: string;
  voting: number;
  healthyVoting: number;
  quorum: number;
  /** Failures the cluster survives now: healthy voting members beyond quorum. */
  tolerates: number;
  now: Date;
}

export interface ViewInputs {
  cluster: EtcdCluster;
  /** undefined when the pods could not be listed. */
  pods?: Pod[];
  events?: KubeEvent[];
  unreadable: string[];
  now: Date;
}

type Figures = Pick<MemberStatus, 'version' | 'dbSize' | 'raftTerm' | 'raftIndex' | 'readAt'>;

/** A member's figures, only with the time they were read: without it nothing says what moment they show. */
function figuresOf(m: MemberStatus | undefined): Figures {
  return m?.readAt ? { version: m.version, dbSize: m.dbSize, raftTerm: m.raftTerm, raftIndex: m.raftIndex, readAt: m.readAt } : {};
}

/** Entries `m` is behind the leader, when both figures show about the same moment; else unknown. */
function lagBehind(m: Figures, leader: Figures): number | undefined {
  if (m.raftIndex === undefined || leader.raftIndex === undefined) return undefined;
  const apart = Math.abs(Date.parse(m.readAt ?? '') - Date.parse(leader.readAt ?? ''));
  return apart <= LAG_COMPARABLE_MS ? Math.max(0, leader.raftIndex - m.raftIndex) : undefined;
}

export function buildView(inp: ViewInputs): ClusterView {
  const st = inp.cluster.status;
  const listed: MemberStatus[] = st?.members ?? [];
  const pods = new Map((inp.pods ?? []).map((p) => [p.metadata.name, p]));
  const names = new Set([...listed.map((m) => m.name), ...pods.keys()]);
  const leader = st?.leader;
  const leaderFigures = figuresOf(listed.find((m) => m.name === leader));

  const members = byOrdinal([...names].map((name) => ({ name }))).map(({ name }): MemberView => {
    const m = listed.find((x) => x.name === name);
    const pod = pods.get(name);
    const figures = figuresOf(m);
    const container = pod?.status?.containerStatuses ?? [];
    return {
      name,
      id: m?.id,
      role: m ? (m.isLearner ? 'learner' : name === leader ? 'leader' : 'follower') : undefined,
      healthy: m?.healthy,
      ...figures,
      lag: lagBehind(figures, leaderFigures),
      peerURL: m?.peerURL,
      podReady: pod ? pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false : undefined,
      podPhase: pod?.status?.phase,
      restarts: pod ? container.reduce((n, c) => n + c.restartCount, 0) : undefined,
      podIP: pod?.status?.podIP,
      node: pod?.spec?.nodeName,
      podCreatedAt: pod?.metadata.creationTimestamp,
      notAMember: pod !== undefined && m === undefined && listed.length > 0,
    };
  });

  const v = voting(st).length;
  const h = healthyVoting(st).length;
  return {
    cluster: inp.cluster,
    members,
    events: inp.events ?? [],
    unreadable: inp.unreadable,
    warnings: clusterWarnings({
      specSize: inp.cluster.spec.size,
      generation: inp.cluster.metadata.generation,
      status: st,
      members: members.map((m) => ({ name: m.name, dbSize: m.dbSize, podCreatedAt: m.podCreatedAt, node: m.node })),
      quotaBytes: inp.cluster.spec.etcdOptions?.quotaBackendBytes,
      now: inp.now,
    }),
    leader,
    voting: v,
    healthyVoting: h,
    quorum: quorum(v),
    tolerates: v === 0 ? 0 : Math.max(0, tolerates(h, v)),
    now: inp.now,
  };
}
