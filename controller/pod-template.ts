// The etcd pod template (SPEC.md, "Security and pods"): hardened by default (requests, a fixed non-root user,
// read-only root filesystem, no privilege escalation, no capabilities, the runtime's seccomp profile), members
// spread across nodes, probes on the plain-HTTP metrics listener; then the user's spec.podTemplate merged in.
// The etcd container runs etcd alone, with no shell (official etcd images from 3.5 on are distroless):
// `etcd --config-file` points at the member's entry in ConfigMap NAME-members.
import type { V1Affinity, V1Container, V1PodSpec, V1PodTemplateSpec, V1ResourceRequirements, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { CLUSTER_LABEL, DEFAULT_ETCD_VERSION, type EtcdCluster, type PodTemplateOverrides } from '../core/api.js';
import { livenessPath } from '../core/etcd-version.js';
import { DATA_DIR, ENTRIES_DIR, membersConfigMapName } from '../core/member-entry.js';
import { CLIENT_PORT, DATA_VOLUME, METRICS_PORT, PEER_PORT } from '../core/member-naming.js';
import { MEMBER_TLS_DIR, tlsEnabled } from '../core/tls-config.js';
import { memberTlsSecretName } from '../core/tls-objects.js';

/** The user etcd and the member guard run as (the operator image's own user), and the group owning the data volume. */
export const ETCD_UID = 1000;
export const DEFAULT_RESOURCES: V1ResourceRequirements = { requests: { cpu: '100m', memory: '256Mi' } };
const TLS_VOLUME = 'tls';
const GUARD_RESOURCES: V1ResourceRequirements = { requests: { cpu: '10m', memory: '64Mi' } };

/** etcd's arguments: everything else is in the member's config file ($(POD_NAME) is expanded by the kubelet). */
export const etcdArgs = [`--config-file=${ENTRIES_DIR}/$(POD_NAME)`];

/** Images of an etcd pod: etcd's repository (the tag is v<spec.version>) and the member guard's image. */
export interface PodImages {
  etcdRepository: string;
  /** The operator's image: it holds the member guard (bin/etcd-member-guard). */
  guard: string;
}

const podName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };

/** Every container the operator runs (etcd, the guard, the backup Jobs'). */
export const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Every pod the operator runs: etcd's user, which owns the data (and backups) volumes. */
export const podSecurity = {
  runAsNonRoot: true,
  runAsUser: ETCD_UID,
  runAsGroup: ETCD_UID,
  // Volumes that support ownership get the group (and group write), so etcd writes its data dir as a non-root user.
  fsGroup: ETCD_UID,
  fsGroupChangePolicy: 'OnRootMismatch',
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Members prefer distinct nodes: a node lost then costs one member, not a quorum. */
function spread(cluster: string): V1Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { [CLUSTER_LABEL]: cluster } } } },
      ],
    },
  };
}

function etcdContainer(c: EtcdCluster, images: PodImages, mounts: V1Container['volumeMounts']): V1Container {
  const version = c.spec.version ?? DEFAULT_ETCD_VERSION;
  return {
    name: 'etcd',
    image: `${images.etcdRepository}:v${version}`,
    command: ['/usr/local/bin/etcd'],
    args: etcdArgs,
    env: [podName],
    ports: [
      { name: 'client', containerPort: CLIENT_PORT },
      { name: 'peer', containerPort: PEER_PORT },
      { name: 'metrics', containerPort: METRICS_PORT },
    ],
    resources: DEFAULT_RESOURCES,
    // Ready while etcd serves (it has a leader and no alarm): the client Service and the rollout go by it.
    readinessProbe: { httpGet: { path: '/health', port: METRICS_PORT }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
    // Restarts a wedged member, one that answers nothing for 4 minutes, and never a slow one: the controller's
    // own replacement (spec.repair, 3 minutes by default) is the cure for a member that is merely unhealthy.
    livenessProbe: { httpGet: { path: livenessPath(version), port: METRICS_PORT }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 24 },
    securityContext: containerSecurity,
    volumeMounts: mounts,
  };
}

/** The template before the user's part: what every etcd pod of this cluster runs with. */
function defaultTemplate(c: EtcdCluster, images: PodImages, labels: Record<string, string>): V1PodTemplateSpec {
  const storage = c.spec.storage ?? {};
  const tls = tlsEnabled(c);
  const mounts = [
    { name: DATA_VOLUME, mountPath: DATA_DIR },
    { name: 'members', mountPath: ENTRIES_DIR, readOnly: true },
    ...(tls ? [{ name: TLS_VOLUME, mountPath: MEMBER_TLS_DIR, readOnly: true }] : []),
  ];
  return {
    metadata: { labels },
    spec: {
      terminationGracePeriodSeconds: 30,
      securityContext: podSecurity,
      affinity: spread(c.metadata.name!),
      // Before every start: etcd only on the member's own data, or on an empty volume for a member that has
      // never run (core/member-guard.ts); otherwise it waits, says why, and the controller replaces it. It runs
      // as etcd's user: etcd keeps its data dir 0700, and a guard that cannot read it checks nothing.
      initContainers: [
        {
          name: 'member-guard',
          image: images.guard,
          command: ['etcd-member-guard'],
          args: ['--entry', `${ENTRIES_DIR}/$(POD_NAME)`, '--data-dir', DATA_DIR, '--member', '$(POD_NAME)'],
          env: [podName],
          resources: GUARD_RESOURCES,
          securityContext: containerSecurity,
          volumeMounts: mounts.filter((m) => m.name !== TLS_VOLUME).map((m) => ({ ...m, readOnly: true })),
        },
      ],
      containers: [etcdContainer(c, images, mounts)],
      volumes: [
        { name: 'members', configMap: { name: membersConfigMapName(c.metadata.name!) } },
        // The kubelet swaps the files when the Secret is renewed; etcd reads them on every handshake.
        ...(tls ? [{ name: TLS_VOLUME, secret: { secretName: memberTlsSecretName(c.metadata.name!), defaultMode: 0o440 } }] : []),
        ...(storage.emptyDir ? [{ name: DATA_VOLUME, emptyDir: {} }] : []),
      ],
    },
  };
}

/** spec.podTemplate merged in: the user's labels and annotations beside ours (ours win), the listed spec fields set. */
export function etcdPodTemplate(c: EtcdCluster, images: PodImages, labels: Record<string, string>): V1PodTemplateSpec {
  const t = defaultTemplate(c, images, labels);
  const user: PodTemplateOverrides = c.spec.podTemplate ?? {};
  const u = user.spec ?? {};
  const spec: V1PodSpec = { ...t.spec!, containers: t.spec!.containers.map((x) => (x.name === 'etcd' && u.resources ? { ...x, resources: u.resources } : x)) };
  if (u.affinity) spec.affinity = { ...spec.affinity, ...(u.affinity as V1Affinity) };
  if (u.nodeSelector) spec.nodeSelector = u.nodeSelector;
  if (u.tolerations) spec.tolerations = u.tolerations as unknown as V1Toleration[];
  if (u.priorityClassName) spec.priorityClassName = u.priorityClassName;
  if (u.topologySpreadConstraints) spec.topologySpreadConstraints = u.topologySpreadConstraints as unknown as V1TopologySpreadConstraint[];
  const metadata = {
    labels: { ...user.metadata?.labels, ...labels },
    ...(user.metadata?.annotations ? { annotations: { ...user.metadata.annotations } } : {}),
  };
  return { metadata, spec };
}
