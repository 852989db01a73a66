// Storage for PersistentVolumeClaims, as a local-path provisioner does it on a real cluster: the default
// StorageClass `standard` binds on first consumer, so the scheduler picks the pod's node first and marks the
// claim (volume.kubernetes.io/selected-node); a PersistentVolume is then made on that node (a directory under
// the node's own dir, hostPath, node affinity to that node) and the PV controller binds the pair for real.
// Data lives on one node as a local disk does: a pod that needs it runs there, and a node that is gone
// takes its volumes with it until it is back. A released volume (claim deleted) is removed with its data.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { AddonsConfig } from './config.js';
import { type Clients, describeError, isNotFound, startInformer, statusCode, type WatchedCache } from './kube.js';
import type { Logger } from '../../core/log.js';

export const PROVISIONER = 'localcluster.etcd-k8s-operator.io/local-path';
export const INSTANCE_LABEL = 'localcluster.etcd-k8s-operator.io/instance';
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** Set by the PV controller on claims of a class whose provisioner is external (Kubernetes 1.20's key). */
const STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

/** Under the node's own directory (nodes/K for node NAME-node-K), where the node's other state lives. */
export function volumeDir(cfg: AddonsConfig, node: string, pvc: V1PersistentVolumeClaim): string {
  const m = pvc.metadata!;
  const dir = /-node-(\d+)$/.exec(node)?.[1] ?? node;
  return join(cfg.stateDir, 'nodes', dir, 'volumes', `${m.namespace}_${m.name}_${m.uid!.slice(0, 8)}`);
}

/** The claim's node once the scheduler chose one and the claim is ours to provision; else undefined. */
export function nodeToProvision(pvc: V1PersistentVolumeClaim): string | undefined {
  const a = pvc.metadata?.annotations ?? {};
  if (pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp || pvc.status?.phase === 'Bound') return undefined;
  if (a[STORAGE_PROVISIONER] !== PROVISIONER || pvc.spec?.dataSource) return undefined;
  return a[SELECTED_NODE] || undefined;
}

export function persistentVolumeFor(cfg: AddonsConfig, node: string, pvc: V1PersistentVolumeClaim): V1PersistentVolume {
  const m = pvc.metadata!;
  return {
    metadata: { name: `pvc-${m.uid}`, labels: { [INSTANCE_LABEL]: cfg.name }, annotations: { [PROVISIONED_BY]: PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'],
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      storageClassName: pvc.spec?.storageClassName ?? '',
      persistentVolumeReclaimPolicy: 'Delete',
      hostPath: { path: volumeDir(cfg, node, pvc), type: 'Directory' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid },
    },
  };
}

export class VolumeProvisioner {
  private claims?: WatchedCache<V1PersistentVolumeClaim>;
  private volumes?: WatchedCache<V1PersistentVolume>;
  private readonly busy = new Set<string>();

  constructor(private readonly cfg: AddonsConfig, private readonly clients: Clients, private readonly log: Logger) {}

  start(): void {
    const { kc, core } = this.clients;
    this.claims = startInformer<V1PersistentVolumeClaim>(kc, '/api/v1/persistentvolumeclaims',
      () => core.listPersistentVolumeClaimForAllNamespaces(), this.log);
    this.claims.on('add', (c) => this.provision(c));
    this.claims.on('update', (c) => this.provision(c));
    const mine = `${INSTANCE_LABEL}=${this.cfg.name}`;
    this.volumes = startInformer<V1PersistentVolume>(kc, '/api/v1/persistentvolumes',
      () => core.listPersistentVolume({ labelSelector: mine }), this.log, mine);
    this.volumes.on('add', (v) => this.reclaim(v));
    this.volumes.on('update', (v) => this.reclaim(v));
  }

  async stop(): Promise<void> {
    await Promise.all([this.claims?.stop(), this.volumes?.stop()]);
  }

  private once(key: string, fn: () => Promise<void>): void {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    fn().finally(() => this.busy.delete(key));
  }

  private provision(pvc: V1PersistentVolumeClaim): void {
    const node = nodeToProvision(pvc);
    if (!node) return;
    const pv = persistentVolumeFor(this.cfg, node, pvc);
    this.once(`pvc/${pvc.metadata!.uid}`, async () => {
      try {
        // Writable by any uid, as a fresh local disk formatted for a pod is (fsGroup is not applied to hostPath).
        mkdirSync(pv.spec!.hostPath!.path, { recursive: true });
        chmodSync(pv.spec!.hostPath!.path, 0o777);
        await this.clients.core.createPersistentVolume({ body: pv });
        this.log.info({ pvc: `${pvc.metadata!.namespace}/${pvc.metadata!.name}`, pv: pv.metadata!.name, node }, 'volume provisioned');
      } catch (err) {
        if (statusCode(err) === 409) return; // made before
        this.log.warn({ err: describeError(err) }, 'provisioning a volume failed; retrying');
        setTimeout(() => this.provision(pvc), 2000).unref();
      }
    });
  }

  private reclaim(pv: V1PersistentVolume): void {
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') return;
    const path = pv.spec?.hostPath?.path;
    const root = resolve(this.cfg.stateDir, 'nodes');
    this.once(`pv/${pv.metadata!.name}`, async () => {
      try {
        if (path && resolve(path).startsWith(`${root}/`)) rmSync(path, { recursive: true, force: true });
        await this.clients.core.deletePersistentVolume({ name: pv.metadata!.name! });
        this.log.info({ pv: pv.metadata!.name, path }, 'released volume removed');
      } catch (err) {
        if (isNotFound(err)) return;
        this.log.warn({ err: describeError(err) }, 'removing a released volume failed; retrying');
        setTimeout(() => this.reclaim(pv), 2000).unref();
      }
    });
  }
}
