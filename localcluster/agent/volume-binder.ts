// Storage for PersistentVolumeClaims, as a local-path provisioner would do it: each unbound claim gets a
// PersistentVolume (hostPath: a directory under the instance's state dir) pre-bound to it, and the
// controller-manager's PV controller binds the pair for real, so `kubectl get pvc` shows Bound honestly.
// When the claim is deleted the PV turns Released; the directory and the PV are then removed.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { type Clients, describeError, isNotFound, startInformer, statusCode, type WatchedCache } from './kube.js';
import type { Logger } from '../../core/log.js';

export const INSTANCE_LABEL = 'localcluster.etcd-k8s-operator.io/instance';

export function volumeDir(cfg: AgentConfig, pvc: V1PersistentVolumeClaim): string {
  const m = pvc.metadata!;
  return join(cfg.stateDir, 'volumes', m.namespace!, `${m.name}-${m.uid!.slice(0, 8)}`);
}

export function persistentVolumeFor(cfg: AgentConfig, pvc: V1PersistentVolumeClaim): V1PersistentVolume {
  const m = pvc.metadata!;
  return {
    metadata: { name: `pvc-${m.uid}`, labels: { [INSTANCE_LABEL]: cfg.name } },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'],
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      storageClassName: pvc.spec?.storageClassName ?? '',
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: volumeDir(cfg, pvc), type: 'DirectoryOrCreate' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid },
    },
  };
}

export class VolumeBinder {
  private claims?: WatchedCache<V1PersistentVolumeClaim>;
  private volumes?: WatchedCache<V1PersistentVolume>;
  private readonly busy = new Set<string>();

  constructor(private readonly cfg: AgentConfig, private readonly clients: Clients, private readonly log: Logger) {}

  start(): void {
    const { kc, core } = this.clients;
    this.claims = startInformer<V1PersistentVolumeClaim>(kc, '/api/v1/persistentvolumeclaims',
      () => core.listPersistentVolumeClaimForAllNamespaces(), this.log);
    this.claims.on('add', (c) => this.provision(c));
    this.claims.on('update', (c) => this.provision(c));
    this.volumes = startInformer<V1PersistentVolume>(kc, '/api/v1/persistentvolumes',
      () => core.listPersistentVolume({ labelSelector: `${INSTANCE_LABEL}=${this.cfg.name}` }), this.log, `${INSTANCE_LABEL}=${this.cfg.name}`);
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
    if (pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp || pvc.status?.phase === 'Bound') return;
    if (pvc.spec?.dataSource) return; // clones and snapshots: not something a directory can honour
    const pv = persistentVolumeFor(this.cfg, pvc);
    this.once(`pvc/${pvc.metadata!.uid}`, async () => {
      try {
        mkdirSync(pv.spec!.hostPath!.path, { recursive: true, mode: 0o700 });
        await this.clients.core.createPersistentVolume({ body: pv });
        this.log.info({ pvc: `${pvc.metadata!.namespace}/${pvc.metadata!.name}`, pv: pv.metadata!.name }, 'volume provisioned');
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
    const root = resolve(this.cfg.stateDir, 'volumes');
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
