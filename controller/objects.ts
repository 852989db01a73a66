// The Kubernetes objects one EtcdCluster owns, built from its spec. The etcd container runs etcd alone, with
// no shell (official etcd images from 3.5 on are distroless): `etcd --config-file` points at the member's
// entry in ConfigMap NAME-members, an etcd config file the controller writes once etcd has accepted the
// member. Until it exists etcd exits and the pod restarts; with member data in its data dir etcd ignores the
// initial-cluster settings and rejoins as itself.
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1PodTemplateSpec, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { API_VERSION, CLUSTER_LABEL, DEFAULT_ETCD_VERSION, KIND, SERVING_LABEL, TEMPLATE_HASH_ANNOTATION, type EtcdCluster } from '../core/api.js';
import { productVersion } from '../core/version.js';
import { CLIENT_PORT, DATA_VOLUME, PEER_PORT } from '../core/member-naming.js';
import { DATA_DIR, ENTRIES_DIR, formatEntry, type EntryContext, type MemberStartEntry } from '../core/member-entry.js';

export { DATA_DIR, ENTRIES_DIR, formatEntry, parseEntry } from '../core/member-entry.js';

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

/** Images of an etcd pod: etcd's repository (the tag is v<spec.version>) and the member guard's image. */
export interface PodImages {
  etcdRepository: string;
  /** The operator's image: it holds the member guard (bin/etcd-member-guard). */
  guard: string;
}

export const DEFAULT_ETCD_REPOSITORY = 'gcr.io/etcd-development/etcd';
export const OPERATOR_REPOSITORY = 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator';
export const defaultGuardImage = () => `${OPERATOR_REPOSITORY}:${productVersion()}`;

const podName = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };

/**
 * The template, marked with the hash of what it holds: the StatefulSet's and each pod's say which rendering
 * they come from, so the controller sees a changed spec (a version) and the pods still to roll (core/rollout.ts).
 */
function hashed(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 16);
  return { ...template, metadata: { ...template.metadata, annotations: { ...template.metadata?.annotations, [TEMPLATE_HASH_ANNOTATION]: hash } } };
}

export const templateHashOf = (t: V1PodTemplateSpec | undefined) => t?.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION];

/** The etcd version a pod template runs: its etcd image's tag without the "v". */
export function templateVersion(t: V1PodTemplateSpec | undefined): string | undefined {
  const image = t?.spec?.containers.find((x) => x.name === 'etcd')?.image;
  return /:v?([^:/]+)$/.exec(image ?? '')?.[1];
}

export function statefulSet(c: EtcdCluster, images: PodImages, replicas: number): V1StatefulSet {
  const name = c.metadata.name!;
  const labels = ownerLabels(name);
  const storage = c.spec.storage ?? {};
  const image = `${images.etcdRepository}:v${c.spec.version ?? DEFAULT_ETCD_VERSION}`;
  const dataMounts = [
    { name: DATA_VOLUME, mountPath: DATA_DIR },
    { name: 'members', mountPath: ENTRIES_DIR, readOnly: true },
  ];
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
      template: hashed({
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 30,
          // Before every start: etcd only on the member's own data, or on an empty volume for a member that has
          // never run (core/member-guard.ts); otherwise it waits, says why, and the controller replaces it.
          initContainers: [
            {
              name: 'member-guard',
              image: images.guard,
              command: ['etcd-member-guard'],
              args: ['--entry', `${ENTRIES_DIR}/$(POD_NAME)`, '--data-dir', DATA_DIR, '--member', '$(POD_NAME)'],
              env: [podName],
              volumeMounts: dataMounts.map((m) => ({ ...m, readOnly: true })),
              // As the etcd container's user (the image's: root): etcd keeps its data dir 0700, and a guard that
              // cannot read it checks nothing.
              securityContext: { runAsUser: 0, runAsGroup: 0 },
            },
          ],
          containers: [
            {
              name: 'etcd',
              image,
              command: ['/usr/local/bin/etcd'],
              args: etcdArgs,
              env: [podName],
              ports: [
                { name: 'client', containerPort: CLIENT_PORT },
                { name: 'peer', containerPort: PEER_PORT },
              ],
              readinessProbe: { httpGet: { path: '/health', port: CLIENT_PORT }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
              volumeMounts: dataMounts,
            },
          ],
          volumes: [
            { name: 'members', configMap: { name: membersConfigMapName(name) } },
            ...(storage.emptyDir ? [{ name: DATA_VOLUME, emptyDir: {} }] : []),
          ],
        },
      }),
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
