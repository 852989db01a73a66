// The Kubernetes calls the controller makes, each write counted (api_writes_total must stay flat at rest).
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  PolicyApi,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type EtcdCluster, type EtcdClusterStatus } from '../core/api.js';
import { mergePatchFor } from '../core/merge-patch.js';
import { apiWrites } from './metrics.js';

export const isNotFound = (err: unknown) => err instanceof ApiException && err.code === 404;
export const isConflictOrExists = (err: unknown) => err instanceof ApiException && (err.code === 409 || err.code === 422);

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class Kube {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly custom: CustomObjectsApi;
  readonly objects: KubernetesObjectApi;
  /** policy/v1 when served, else policy/v1beta1 (Kubernetes 1.20): decided once at start-up. */
  pdbApiVersion = 'policy/v1';

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
  }

  async discoverPdbVersion(): Promise<string> {
    const group = await this.kc.makeApiClient(PolicyApi).getAPIGroup();
    this.pdbApiVersion = group.versions.some((v) => v.version === 'v1') ? 'policy/v1' : 'policy/v1beta1';
    return this.pdbApiVersion;
  }

  /** Told of every write's result: the informer cache waits for the watch to bring it back (object-cache.ts). */
  onWrite?: (resource: string, result: unknown) => void;

  async counted<T>(verb: string, resource: string, call: Promise<T>): Promise<T> {
    apiWrites.inc({ verb, resource });
    const result = await call;
    this.onWrite?.(resource, result);
    return result;
  }

  async getCluster(namespace: string, name: string): Promise<EtcdCluster | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as EtcdCluster;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Merge-patch the status subresource to exactly `status`: whatever it no longer has, at any depth, is cleared. */
  async patchStatus(c: EtcdCluster, status: EtcdClusterStatus): Promise<void> {
    const body = { status: mergePatchFor(c.status ?? {}, status) };
    await this.counted(
      'patch',
      'etcdclusters/status',
      this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: c.metadata.namespace!, plural: PLURAL, name: c.metadata.name!, body },
        mergePatch,
      ),
    );
  }

  async scaleStatefulSet(namespace: string, name: string, replicas: number): Promise<void> {
    await this.counted('patch', 'statefulsets', this.apps.patchNamespacedStatefulSet({ name, namespace, body: { spec: { replicas } } }, mergePatch));
  }

  /**
   * The StatefulSet with exactly this pod template (nothing of an older one left), on the version read: a
   * concurrent change makes it fail with a conflict, and the next pass decides again.
   */
  async replaceStatefulSetTemplate(namespace: string, name: string, template: V1PodTemplateSpec): Promise<void> {
    const sts = await this.apps.readNamespacedStatefulSet({ name, namespace });
    sts.spec!.template = template;
    await this.counted('replace', 'statefulsets', this.apps.replaceNamespacedStatefulSet({ name, namespace, body: sts }));
  }

  /** Sets (a value) or removes (null) one label of a pod, and annotations in the same patch. */
  async setPodLabel(namespace: string, name: string, key: string, value: string | null, annotations: Record<string, string> = {}): Promise<void> {
    const body = { metadata: { labels: { [key]: value }, annotations } };
    await this.counted('patch', 'pods', this.core.patchNamespacedPod({ name, namespace, body }, mergePatch));
  }

  /** Its pods go with it (background propagation); one already gone is deleted. */
  async deleteJob(namespace: string, name: string): Promise<void> {
    try {
      await this.counted('delete', 'jobs', this.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async mergePatch(obj: KubernetesObject, resource: string): Promise<void> {
    await this.counted('patch', resource, this.objects.patch(obj, undefined, undefined, 'etcd-controller', undefined, PatchStrategy.MergePatch));
  }

  /** Create; an object that already exists is left as it is (idempotent create). True when this call made it. */
  async ensureCreated(obj: KubernetesObject, resource: string): Promise<boolean> {
    try {
      await this.counted('create', resource, this.objects.create(obj));
      return true;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
      return false;
    }
  }

  async read<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      return (await this.objects.read({ apiVersion, kind, metadata: { name, namespace } })) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
