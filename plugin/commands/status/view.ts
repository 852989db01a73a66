// One cluster as `status` shows it: the EtcdCluster's status merged with its pods and each member's live
// figures from etcd. Pure, so every section can be rendered from fixed inputs in tests.
import type { EtcdCluster, MemberStatus } from '../../../core/api.js';
import { memberIdHex } from '../../../core/member-naming.js';
import { byOrdinal, healthyVoting, voting } from '../../../core/membership.js';
import { quorum, tolerates } from '../../../core/quorum.js';
import { clusterWarnings, type ClusterWarning } from '../../../core/warnings.js';
import type { EtcdStatusResponse, KubeEvent, Pod } from '../../kube/resources.js';

export type Role = 'leader' | 'follower' | 'learner';

export interface MemberView {
  name: string;
  id?: string;
  role?: Role;
  /** As the controller last saw it (status.members). */
  healthy?: boolean;
  /** Live from etcd, else as the member last told the controller (status.members: absent once it stops answering). */
  version?: string;
  /** Live from etcd. */
  dbSize?: number;
  raftTerm?: number;
  raftIndex?: number;
  /** Entries behind the leader's raft index. */
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
  /** Leader as etcd reports it live, else as status last saw it. */
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
  /** Member name -> its etcd status; absent when not read. */
  live: Map<string, EtcdStatusResponse>;
  unreadable: string[];
  now: Date;
}

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' || Number.isNaN(Number(s)) ? undefined : Number(s));
const hex = (s: string | undefined): string | undefined => {
  try {
    return s ? memberIdHex(s) : undefined;
  } catch {
    return undefined;
  }
};

export function buildView(inp: ViewInputs): ClusterView {
  const st = inp.cluster.status;
  const listed: MemberStatus[] = st?.members ?? [];
  const pods = new Map((inp.pods ?? []).map((p) => [p.metadata.name, p]));
  const names = new Set([...listed.map((m) => m.name), ...pods.keys()]);
  // etcd's own view of the leader wins over the status written at the last reconcile.
  const liveLeaderId = [...inp.live.values()].map((s) => hex(s.leader)).find((id) => id !== undefined && id !== '0000000000000000');
  const leaderMember = liveLeaderId ? listed.find((m) => m.id === liveLeaderId) : undefined;
  const leader = leaderMember?.name ?? st?.leader;
  const leaderIndex = leader ? num(inp.live.get(leader)?.raftIndex) : undefined;

  const members = byOrdinal([...names].map((name) => ({ name }))).map(({ name }): MemberView => {
    const m = listed.find((x) => x.name === name);
    const pod = pods.get(name);
    const live = inp.live.get(name);
    const raftIndex = num(live?.raftIndex);
    const container = pod?.status?.containerStatuses ?? [];
    return {
      name,
      id: m?.id ?? hex(live?.header?.member_id),
      role: m ? (m.isLearner ? 'learner' : name === leader ? 'leader' : 'follower') : undefined,
      healthy: m?.healthy,
      version: live?.version ?? m?.version,
      dbSize: num(live?.dbSize),
      raftTerm: num(live?.raftTerm ?? live?.header?.raft_term),
      raftIndex,
      lag: leaderIndex !== undefined && raftIndex !== undefined ? Math.max(0, leaderIndex - raftIndex) : undefined,
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
      members: members.map((m) => ({ name: m.name, dbSize: m.dbSize, podCreatedAt: m.podCreatedAt })),
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
