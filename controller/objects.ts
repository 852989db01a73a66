// The Kubernetes objects one EtcdCluster owns, built from its spec (the etcd pod template: pod-template.ts).
// Each etcd pod reads its member's entry in ConfigMap NAME-members, an etcd config file the controller writes
// once etcd has accepted the member. Until it exists etcd exits and the pod restarts; with member data in its
// data dir etcd ignores the initial-cluster settings and rejoins as itself.
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1NetworkPolicy, V1PodTemplateSpec, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { API_VERSION, CLUSTER_LABEL, ETCD_OPTIONS_ANNOTATION, KIND, SERVING_LABEL, TEMPLATE_HASH_ANNOTATION, type EtcdCluster } from '../core/api.js';
import { productVersion } from '../core/version.js';
import { normalizeOptions } from '../core/etcd-options.js';
import { CLIENT_PORT, DATA_VOLUME, METRICS_PORT, PEER_PORT } from '../core/member-naming.js';
import { entryContext, formatEntry, membersConfigMapName, type MemberStartEntry } from '../core/member-entry.js';
import { etcdPodTemplate, type PodImages } from './pod-template.js';

export { DATA_DIR, ENTRIES_DIR, formatEntry, membersConfigMapName, parseEntry } from '../core/member-entry.js';
export { etcdArgs, type PodImages } from './pod-template.js';

const MANAGED_BY = 'etcd-k8s-operator';

export const clientServiceName = (cluster: string) => `${cluster}-client`;

export function ownerLabels(cluster: string): Record<string, string> {
  return { [CLUSTER_LABEL]: cluster, 'app.kubernetes.io/name': 'etcd', 'app.kubernetes.io/instance': cluster, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

/** An object of another builder (core/tls-objects.ts) with the metadata of every object the cluster owns. */
export function owned<T extends { metadata?: { name?: string } }>(c: EtcdCluster, obj: T): T {
  return { ...obj, metadata: { ...obj.metadata, ...meta(c, obj.metadata!.name!) } };
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

export const DEFAULT_ETCD_REPOSITORY = 'gcr.io/etcd-development/etcd';
export const OPERATOR_REPOSITORY = 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator';
export const defaultGuardImage = () => `${OPERATOR_REPOSITORY}:${productVersion()}`;

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
  const storage = c.spec.storage ?? {};
  const template = etcdPodTemplate(c, images, ownerLabels(name));
  const options = normalizeOptions(c.spec.etcdOptions);
  // etcd reads its options from the members' ConfigMap; naming them in the template makes a change roll out.
  if (Object.keys(options).length) template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [ETCD_OPTIONS_ANNOTATION]: JSON.stringify(options) } };
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
      template: hashed(template),
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

export function membersConfigMap(c: EtcdCluster, entries: Record<string, MemberStartEntry>): V1ConfigMap {
  const ctx = entryContext(c);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(c, membersConfigMapName(c.metadata.name!)),
    data: Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, formatEntry(ctx, k, e)])),
  };
}

/**
 * With --network-policies: peers only from the cluster's own pods; the client port from the cluster's namespace,
 * the operator's and spec.networkPolicy.clientNamespaces (by the namespace-name label Kubernetes sets from
 * 1.21; on 1.20 label such namespaces kubernetes.io/metadata.name=NAME yourself); the metrics listener (health,
 * metrics: no data) from anywhere, as the kubelet's probes and Prometheus need.
 */
export function networkPolicy(c: EtcdCluster, operatorNamespace: string | undefined): V1NetworkPolicy {
  const name = c.metadata.name!;
  const members = { podSelector: { matchLabels: { [CLUSTER_LABEL]: name } } };
  const namespaces = [...new Set([c.metadata.namespace!, ...(operatorNamespace ? [operatorNamespace] : []), ...(c.spec.networkPolicy?.clientNamespaces ?? [])])].sort();
  const port = (p: number) => ({ protocol: 'TCP', port: p });
  // client-node's model spells "from" _from (a reserved word); its serializer writes "from".
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(c, name),
    spec: {
      podSelector: { matchLabels: { [CLUSTER_LABEL]: name } },
      policyTypes: ['Ingress'],
      ingress: [
        { _from: [members], ports: [port(PEER_PORT)] },
        { _from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }] } }], ports: [port(CLIENT_PORT)] },
        { ports: [port(METRICS_PORT)] },
      ],
    },
  };
}
