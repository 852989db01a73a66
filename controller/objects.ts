// The Kubernetes objects one EtcdCluster owns, built from its spec. The etcd container runs a start script:
// with member data in its data dir it rejoins as itself; otherwise it needs its entry in ConfigMap
// NAME-members (written by the controller after etcd accepted the member) and exits until it is there.
import type { V1ConfigMap, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { API_VERSION, CLUSTER_LABEL, DEFAULT_ETCD_VERSION, KIND, type EtcdCluster } from '../core/api.js';
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
    spec: { selector: { [CLUSTER_LABEL]: c.metadata.name! }, ports: [{ name: 'client', port: CLIENT_PORT, targetPort: CLIENT_PORT }] },
  };
}

/** The container's start script (plain /bin/sh; `etcd` from PATH). The flags work on etcd 3.4 through 3.6. */
export function startScript(cluster: string, namespace: string): string {
  return [
    'set -eu',
    `host="$POD_NAME.${cluster}.${namespace}.svc"`,
    `set -- --name="$POD_NAME" --data-dir=${DATA_DIR} --listen-peer-urls=http://0.0.0.0:${PEER_PORT} --listen-client-urls=http://0.0.0.0:${CLIENT_PORT} --advertise-client-urls="http://$host:${CLIENT_PORT}" --initial-advertise-peer-urls="http://$host:${PEER_PORT}"`,
    `if [ -d ${DATA_DIR}/member/wal ]; then`,
    `  echo "etcd-start: ${DATA_DIR} holds member data: $POD_NAME rejoins as itself"`,
    '  exec etcd "$@"',
    'fi',
    `entry="${ENTRIES_DIR}/$POD_NAME"`,
    'if [ ! -f "$entry" ]; then',
    `  echo "etcd-start: no start entry for $POD_NAME in ConfigMap ${membersConfigMapName(cluster)} (the controller writes it once etcd has added the member); exiting so the pod is restarted" >&2`,
    '  exit 1',
    'fi',
    '. "$entry"',
    'echo "etcd-start: first start of $POD_NAME with initial-cluster-state=$INITIAL_CLUSTER_STATE initial-cluster=$INITIAL_CLUSTER"',
    'exec etcd "$@" --initial-cluster="$INITIAL_CLUSTER" --initial-cluster-state="$INITIAL_CLUSTER_STATE" --initial-cluster-token="$INITIAL_CLUSTER_TOKEN"',
  ].join('\n');
}

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
              command: ['/bin/sh', '-c', startScript(name, c.metadata.namespace!)],
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

/** A ConfigMap entry is a shell fragment the start script sources; values are single-quoted. */
export function formatEntry(token: string, e: MemberStartEntry): string {
  const lines = [
    `INITIAL_CLUSTER='${e.initialCluster}'`,
    `INITIAL_CLUSTER_STATE='${e.state}'`,
    `INITIAL_CLUSTER_TOKEN='${token}'`,
    `ADDED_AT='${e.addedAt}'`,
  ];
  if (e.memberId) lines.push(`MEMBER_ID='${e.memberId}'`);
  return `${lines.join('\n')}\n`;
}

export function parseEntry(text: string): MemberStartEntry | undefined {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)='([^']*)'$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  const state = vars.INITIAL_CLUSTER_STATE;
  if ((state !== 'new' && state !== 'existing') || !vars.INITIAL_CLUSTER) return undefined;
  const entry: MemberStartEntry = { state, initialCluster: vars.INITIAL_CLUSTER, addedAt: vars.ADDED_AT ?? '' };
  if (vars.MEMBER_ID) entry.memberId = vars.MEMBER_ID;
  return entry;
}

/** Token of the bootstrap: unique per EtcdCluster object, so a recreated cluster never talks to an old one. */
export const clusterToken = (c: EtcdCluster) => `${c.metadata.name}-${c.metadata.uid}`;

export function membersConfigMap(c: EtcdCluster, entries: Record<string, MemberStartEntry>): V1ConfigMap {
  const token = clusterToken(c);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(c, membersConfigMapName(c.metadata.name!)),
    data: Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, formatEntry(token, e)])),
  };
}
