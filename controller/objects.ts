// The Kubernetes objects one EtcdCluster owns, built from its spec. The etcd container runs etcd alone, with
// no shell (official etcd images from 3.5 on are distroless): `etcd --config-file` points at the member's
// entry in ConfigMap NAME-members, an etcd config file the controller writes once etcd has accepted the
// member. Until it exists etcd exits and the pod restarts; with member data in its data dir etcd ignores the
// initial-cluster settings and rejoins as itself.
import type { V1ConfigMap, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { API_VERSION, CLUSTER_LABEL, DEFAULT_ETCD_VERSION, KIND, SERVING_LABEL, type EtcdCluster } from '../core/api.js';
import { CLIENT_PORT, DATA_VOLUME, PEER_PORT } from '../core/member-naming.js';
import type { MemberStartEntry } from '../core/reconcile-step.js';

export const DATA_DIR = '/var/lib/etcd';
export const ENTRIES_DIR = '/etc/etcd-members';
const MANAGED_BY = 'etcd-k8s-operator';

export const membersConfigMapName = (cluster: string) => `${cluster}-members`;
export const clientServiceName = (cluster: string) => `${cluster}-client`;

export function ownerLabels(cluster: string): Record<string, string> {
  return { [CLUSTER_LABEL]: cluster, 'app.kubernetes.io/name': 'etcd', 'app.kubernetes.io/instance': cluster, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

function meta(c: EtcdCluster, name: string) {
  return {
    name,
    namespace: c.metadata.namespace,
    labels: ownerLabels(c.metadata.name!),
    ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: c.metadata.name!, uid: c.metadata.uid!, controller: true, blockOwnerDeletion: true }],
  };
}

export function headlessService(c: EtcdCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(c, c.metadata.name!),
    spec: {
      clusterIP: 'None',
      // Peers must resolve each other before they are ready: a joining member is not ready until it has joined.
      publishNotReadyAddresses: true,
      selector: { [CLUSTER_LABEL]: c.metadata.name! },
      ports: [
        { name: 'client', port: CLIENT_PORT, targetPort: CLIENT_PORT },
        { name: 'peer', port: PEER_PORT, targetPort: PEER_PORT },
      ],
    },
  };
}

export function clientService(c: EtcdCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(c, clientServiceName(c.metadata.name!)),
    // Only members the controller marks as serving: voting members that stay (see nextStep).
    spec: { selector: { [CLUSTER_LABEL]: c.metadata.name!, [SERVING_LABEL]: 'true' }, ports: [{ name: 'client', port: CLIENT_PORT, targetPort: CLIENT_PORT }] },
  };
}

/** etcd's arguments: everything else is in the member's config file ($(POD_NAME) is expanded by the kubelet). */
export const etcdArgs = [`--config-file=${ENTRIES_DIR}/$(POD_NAME)`];

export function statefulSet(c: EtcdCluster, imageRepository: string, replicas: number): V1StatefulSet {
  const name = c.metadata.name!;
  const labels = ownerLabels(name);
  const storage = c.spec.storage ?? {};
  const image = `${imageRepository}:v${c.spec.version ?? DEFAULT_ETCD_VERSION}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(c, name),
    spec: {
      serviceName: name,
      replicas,
      // The controller orders membership itself; pods of new members start without waiting for each other.
      podManagementPolicy: 'Parallel',
      // etcd pods are never rolled behind the controller's back.
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: { [CLUSTER_LABEL]: name } },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'etcd',
              image,
              command: ['/usr/local/bin/etcd'],
              args: etcdArgs,
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'client', containerPort: CLIENT_PORT },
                { name: 'peer', containerPort: PEER_PORT },
              ],
              readinessProbe: { httpGet: { path: '/health', port: CLIENT_PORT }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
              volumeMounts: [
                { name: DATA_VOLUME, mountPath: DATA_DIR },
                { name: 'members', mountPath: ENTRIES_DIR, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'members', configMap: { name: membersConfigMapName(name) } },
            ...(storage.emptyDir ? [{ name: DATA_VOLUME, emptyDir: {} }] : []),
          ],
        },
      },
      // PVCs carry the cluster label but no owner: deleting the EtcdCluster keeps the data (LESSONS rule 6).
      volumeClaimTemplates: storage.emptyDir
        ? undefined
        : [
            {
              metadata: { name: DATA_VOLUME, labels: { [CLUSTER_LABEL]: name } },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: storage.size ?? '1Gi' } },
                ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
              },
            },
          ],
    },
  };
}

export function pdb(c: EtcdCluster, apiVersion: string, minAvailable: number) {
  return {
    apiVersion,
    kind: 'PodDisruptionBudget',
    metadata: meta(c, c.metadata.name!),
    spec: { minAvailable, selector: { matchLabels: { [CLUSTER_LABEL]: c.metadata.name! } } },
  };
}

/** Where a member's entry lives: the cluster's identity and the member's name, for its URLs. */
export interface EntryContext {
  cluster: string;
  namespace: string;
  token: string;
}

// Bookkeeping of the controller's own rides along as comments etcd ignores.
const ADDED_AT = '# added-at: ';
const MEMBER_ID = '# member-id: ';
const quoted = (v: string) => `'${v.replaceAll("'", "''")}'`;

/**
 * A ConfigMap entry is the member's etcd config file (keys as etcd's --config-file reads them on 3.4 to
 * 3.6; with --config-file etcd ignores every other flag, so the file is complete).
 */
export function formatEntry(ctx: EntryContext, member: string, e: MemberStartEntry): string {
  const host = `${member}.${ctx.cluster}.${ctx.namespace}.svc`;
  const lines = [
    `# etcd config of member ${member}, written by etcd-controller`,
    `${ADDED_AT}${e.addedAt}`,
    ...(e.memberId ? [`${MEMBER_ID}${e.memberId}`] : []),
    `name: ${quoted(member)}`,
    `data-dir: ${quoted(DATA_DIR)}`,
    `listen-peer-urls: ${quoted(`http://0.0.0.0:${PEER_PORT}`)}`,
    `listen-client-urls: ${quoted(`http://0.0.0.0:${CLIENT_PORT}`)}`,
    `advertise-client-urls: ${quoted(`http://${host}:${CLIENT_PORT}`)}`,
    `initial-advertise-peer-urls: ${quoted(`http://${host}:${PEER_PORT}`)}`,
    `initial-cluster: ${quoted(e.initialCluster)}`,
    `initial-cluster-state: ${quoted(e.state)}`,
    `initial-cluster-token: ${quoted(ctx.token)}`,
    // On by default only as a command-line flag: a config file starts from defaults where it is off, and
    // kubectl-etcd reads members' figures from this JSON API through the API server's pod proxy.
    'enable-grpc-gateway: true',
  ];
  return `${lines.join('\n')}\n`;
}

export function parseEntry(text: string): MemberStartEntry | undefined {
  const vars: Record<string, string> = {};
  let addedAt = '';
  let memberId: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith(ADDED_AT)) addedAt = line.slice(ADDED_AT.length);
    else if (line.startsWith(MEMBER_ID)) memberId = line.slice(MEMBER_ID.length);
    const m = /^([a-z-]+): '((?:[^']|'')*)'$/.exec(line);
    if (m) vars[m[1]] = m[2].replaceAll("''", "'");
  }
  const state = vars['initial-cluster-state'];
  if ((state !== 'new' && state !== 'existing') || !vars['initial-cluster']) return undefined;
  const entry: MemberStartEntry = { state, initialCluster: vars['initial-cluster'], addedAt };
  if (memberId) entry.memberId = memberId;
  return entry;
}

/** Token of the bootstrap: unique per EtcdCluster object, so a recreated cluster never talks to an old one. */
export const clusterToken = (c: EtcdCluster) => `${c.metadata.name}-${c.metadata.uid}`;

export function membersConfigMap(c: EtcdCluster, entries: Record<string, MemberStartEntry>): V1ConfigMap {
  const ctx: EntryContext = { cluster: c.metadata.name!, namespace: c.metadata.namespace!, token: clusterToken(c) };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(c, membersConfigMapName(c.metadata.name!)),
    data: Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, formatEntry(ctx, k, e)])),
  };
}
