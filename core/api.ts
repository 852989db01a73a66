// The EtcdCluster API (etcd.k8s-operator.io/v1alpha1) as SPEC.md defines it: one definition shared by
// plugin, webhook and controller.

export const GROUP = 'etcd.k8s-operator.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'EtcdCluster';
export const PLURAL = 'etcdclusters';

/** Default etcd version filled in when spec.version is absent. */
export const DEFAULT_ETCD_VERSION = '3.5.16';
/** Schema bounds of spec.size; the webhook's --max-size may lower the upper one. */
export const MIN_SIZE = 1;
export const SCHEMA_MAX_SIZE = 9;
export const DEFAULT_MAX_SIZE = 7;

/** Annotation keys (prefix etcd.k8s-operator.io/). */
export const ANNOTATION_PREFIX = `${GROUP}/`;
export const Annotations = {
  intendedSize: `${ANNOTATION_PREFIX}intended-size`,
  previousSize: `${ANNOTATION_PREFIX}previous-size`,
  requestedBy: `${ANNOTATION_PREFIX}resize-requested-by`,
  requestedAt: `${ANNOTATION_PREFIX}resize-requested-at`,
  forceResize: `${ANNOTATION_PREFIX}force-resize`,
  /** `kubectl etcd replace`: "MEMBER/ID", the member (and its etcd ID, so the request is done once) to replace. */
  replace: `${ANNOTATION_PREFIX}replace`,
  /** `kubectl etcd recover`: "MEMBER/ID", the surviving member to restart as a one-member cluster (quorum lost). */
  recover: `${ANNOTATION_PREFIX}recover`,
  /** `kubectl etcd snapshot`: when a snapshot was asked for (RFC 3339, ms); served once, recorded as requestedAt. */
  snapshotRequested: `${ANNOTATION_PREFIX}snapshot-requested`,
  /** On UpgradeRequested Events only (the webhook's record of a version change): "FROM->TO". */
  upgrade: `${ANNOTATION_PREFIX}upgrade`,
} as const;

/** Label put on every object the controller owns, valued with the EtcdCluster's name. */
export const CLUSTER_LABEL = `${GROUP}/cluster`;
/** "true" on the pods of voting members that stay: the client Service selects it (learners refuse clients). */
export const SERVING_LABEL = `${GROUP}/serving`;
/** On the StatefulSet's pod template (so on every pod made from it): the hash of the template the controller rendered. */
export const TEMPLATE_HASH_ANNOTATION = `${GROUP}/template-hash`;
/** On the pod template when spec.etcdOptions is set: the options the members' config files hold, so a change rolls out. */
export const ETCD_OPTIONS_ANNOTATION = `${GROUP}/etcd-options`;
/** When SERVING_LABEL last changed on a pod (RFC 3339, ms): the clock of the client-traffic drain. */
export const SERVING_CHANGED_AT_ANNOTATION = `${GROUP}/serving-changed-at`;

export interface StorageSpec {
  size?: string;
  storageClassName?: string;
  /** Throwaway cluster: a restarted member rejoins as a new member. */
  emptyDir?: boolean;
}

export type RepairPolicy = 'Auto' | 'Manual';

/** Self-healing (SPEC.md, "Self-healing"). */
export interface RepairSpec {
  /** Auto (default): replace failed members; Manual: report only (`kubectl etcd replace` does it). */
  policy?: RepairPolicy;
  /** A voting member unhealthy this long is replaced, e.g. "3m", "90s", "1m30s" (default 3m). */
  unhealthyAfter?: string;
}

export const DEFAULT_UNHEALTHY_AFTER = '3m';

/**
 * What the user merges into the etcd pods (SPEC.md, "Security and pods"): only these fields, each applied (the
 * webhook denies any other, rule V11). Kubernetes shapes are kept as the user wrote them.
 */
export interface PodTemplateOverrides {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    /** Replaces the etcd container's default requests and limits. */
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    /** Each of nodeAffinity, podAffinity, podAntiAffinity given replaces the default one (a preferred spread). */
    affinity?: Record<string, unknown>;
    nodeSelector?: Record<string, string>;
    tolerations?: Record<string, unknown>[];
    priorityClassName?: string;
    topologySpreadConstraints?: Record<string, unknown>[];
  };
}

/** etcd settings the controller writes into every member's config file; a change restarts members one at a time. */
export interface EtcdOptions {
  /** Backend quota in bytes (etcd's default 2 GiB; at most 8 GiB, etcd's suggested maximum). */
  quotaBackendBytes?: number;
  autoCompactionMode?: 'periodic' | 'revision';
  /** periodic: a duration ("1h", "30m") or hours as a number; revision: how many revisions to keep. */
  autoCompactionRetention?: string;
  /** Raft heartbeat interval in milliseconds (etcd's default 100). */
  heartbeatInterval?: number;
  /** Raft election timeout in milliseconds, at least 5 heartbeats (etcd's default 1000). */
  electionTimeout?: number;
  /** Applied entries between snapshots of the raft log (etcd's default 100000). */
  snapshotCount?: number;
}

/** cert-manager's issuer of the cluster's certificates. */
export interface IssuerRef {
  name: string;
  /** Issuer (default) or ClusterIssuer. */
  kind?: string;
  group?: string;
}

/** Mutual TLS for peer and client traffic (SPEC.md, "Security and pods"); fixed once the cluster exists (V7). */
export interface TlsSpec {
  enabled?: boolean;
  /** cert-manager makes the certificates; absent: a CA of the operator's own (Secret NAME-ca). */
  issuerRef?: IssuerRef;
}

/** Who may reach the members when the controller runs with --network-policies (NetworkPolicy NAME). */
export interface NetworkPolicySpec {
  /** Namespaces whose pods may use the client port, beside the cluster's own and the operator's. */
  clientNamespaces?: string[];
}

/** Scheduled snapshots into PVC NAME-backups (SPEC.md, "Backups"). */
export interface BackupSpec {
  /** Five-field cron, UTC ("0 *\/6 * * *": every 6 hours); absent: snapshots only when asked (`kubectl etcd snapshot`). */
  schedule?: string;
  /** How many snapshots are kept, newest first (default 7). */
  keep?: number;
  /** The PVC NAME-backups, made by the controller when absent; kept when the EtcdCluster is deleted. */
  volume?: { size?: string; storageClassName?: string };
}

/** A new cluster starts member 0 from a snapshot another cluster (or an earlier one of this name) took. */
export interface FromSnapshot {
  /** Whose backups: the snapshot is read from PVC CLUSTER-backups in this namespace. */
  cluster: string;
  /** The snapshot's file name, as `kubectl etcd snapshots CLUSTER` lists it. */
  snapshot: string;
}

export interface BootstrapSpec {
  fromSnapshot?: FromSnapshot;
}

export interface EtcdClusterSpec {
  size: number;
  backup?: BackupSpec;
  /** Fixed at creation (V13). */
  bootstrap?: BootstrapSpec;
  tls?: TlsSpec;
  networkPolicy?: NetworkPolicySpec;
  version?: string;
  storage?: StorageSpec;
  repair?: RepairSpec;
  podTemplate?: PodTemplateOverrides;
  etcdOptions?: EtcdOptions;
}

export interface MemberStatus {
  name: string;
  /** 64-bit etcd member ID as 16 lower-case hex digits (never a JS number). */
  id: string;
  peerURL?: string;
  clientURL?: string;
  isLearner: boolean;
  healthy: boolean;
  /** Since when the member has been unhealthy without a break (RFC 3339): the clock of unhealthyAfter. */
  unhealthySince?: string;
  /**
   * Live figures, read from the member itself (so known without quorum too) when it answers, with the time
   * they were read: version, DB size, raft term and committed index, the revision of its store, its alarms.
   * Rewritten when they moved (counters at most every 30 s, version and alarms at once), never unchanged.
   */
  version?: string;
  dbSize?: number;
  raftTerm?: number;
  raftIndex?: number;
  revision?: number;
  alarms?: string[];
  readAt?: string;
}

export type Phase = 'Pending' | 'Creating' | 'Running' | 'Scaling' | 'Degraded' | 'Failed';

export type ConditionType = 'Available' | 'Progressing' | 'Degraded';

export interface Condition {
  type: ConditionType | string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LastResize {
  from: number;
  to: number;
  requestedBy?: string;
  startedAt?: string;
  completedAt?: string;
}

/** Why a member is replaced (removed from etcd and added again as a new learner at its ordinal). */
export type RepairReason = 'DataLost' | 'ForeignData' | 'Unhealthy' | 'Requested' | 'KeptByShrink';

/** One replacement of a member, in progress while completedAt is absent (status.lastRepair). */
export interface MemberRepair {
  member: string;
  /** The member's etcd ID before (removed), and after (the new learner's), 16 hex digits. */
  oldId: string;
  newId?: string;
  reason: RepairReason;
  /** What was seen: "its volume holds no data", "unhealthy for 3m12s: CrashLoopBackOff", ... */
  message: string;
  requestedBy?: string;
  startedAt: string;
  completedAt?: string;
}

/** What a member had when a recovery began: what choosing another member loses of it. */
export interface RecoveryFigures {
  member: string;
  id: string;
  raftTerm?: number;
  raftIndex?: number;
  revision?: number;
}

/** A recovery from lost quorum (status.lastRecovery), in progress while completedAt is absent. */
export interface Recovery extends RecoveryFigures {
  /** The other members as they were: their data is discarded (they are added again as new learners). */
  lost: RecoveryFigures[];
  requestedBy?: string;
  startedAt: string;
  /** When the chosen member first ran as a one-member cluster. */
  forcedAt?: string;
  completedAt?: string;
}

/** One change of spec.version rolled out member by member (status.lastUpgrade), in progress while completedAt is absent. */
export interface LastUpgrade {
  from: string;
  to: string;
  requestedBy?: string;
  startedAt: string;
  /** When every member ran `to` and etcd's cluster version had reached its minor. */
  completedAt?: string;
}

/** One snapshot file in PVC NAME-backups, as the snapshot Job wrote and checked it. */
export interface SnapshotRecord {
  /** File name: NAME-YYYYMMDDTHHMMSSZ-rREVISION.db */
  name: string;
  /** The store's revision at the snapshot: every write acknowledged at or below it is in the file. */
  revision: number;
  sizeBytes: number;
  /** Of the file's bytes, lower-case hex; also in NAME.db.json beside the file. */
  sha256: string;
  takenAt: string;
  /** The member it was streamed from. */
  member: string;
  /** That member led the cluster when the stream began (no follower was healthy, or leadership had moved to it). */
  fromLeader?: boolean;
  /** The `kubectl etcd snapshot` request it served (the annotation's value); absent for a scheduled one. */
  requestedAt?: string;
  /** The schedule's time it was taken for; absent for a requested one. */
  scheduledFor?: string;
}

export interface BackupError {
  message: string;
  at: string;
  /** The Job that failed (or why none could start: no healthy member). */
  job?: string;
  requestedAt?: string;
  scheduledFor?: string;
}

export interface BackupStatus {
  lastSnapshot?: SnapshotRecord;
  /** The last failure; cleared by the next success. A failed scheduled snapshot is retried (BACKUP_RETRY_MS). */
  lastError?: BackupError;
  /** The snapshots the volume holds, newest first (at most spec.backup.keep). */
  snapshots?: SnapshotRecord[];
  /** The last `kubectl etcd snapshot` request served, done or failed (the annotation's value): served once. */
  lastRequest?: string;
  /** The schedule's last time a snapshot was started for (the clock of the schedule). */
  lastScheduleTime?: string;
  /** The next time the schedule starts one. */
  nextScheduleTime?: string;
}

/** Where member 0's data came from (spec.bootstrap.fromSnapshot), once restored. */
export interface RestoredFrom {
  cluster: string;
  snapshot: string;
  sha256: string;
  revision: number;
  restoredAt: string;
}

export interface EtcdClusterStatus {
  observedGeneration?: number;
  phase?: Phase;
  size?: number;
  readyReplicas?: number;
  leader?: string;
  members?: MemberStatus[];
  conditions?: Condition[];
  lastResize?: LastResize;
  lastRepair?: MemberRepair;
  /** Members removed ahead of their replacement (core/repair.ts removeAhead), replaced in turn after lastRepair. */
  pendingRepairs?: MemberRepair[];
  lastRecovery?: Recovery;
  lastUpgrade?: LastUpgrade;
  /** etcd's cluster version ("3.5.0"): the minor every member runs, which moves only once all of them run it. */
  clusterVersion?: string;
  backup?: BackupStatus;
  restoredFrom?: RestoredFrom;
  selector?: string;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface EtcdCluster {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: EtcdClusterSpec;
  status?: EtcdClusterStatus;
}

/** Selector of the pods of one cluster, as published in status.selector for the scale subresource. */
export function selectorFor(name: string): string {
  return `${CLUSTER_LABEL}=${name}`;
}
