// The snapshot and restore Jobs and the backups PVC (controller/backup-objects.ts): what runs, as whom, on which volumes.
import { CLUSTER_LABEL, type EtcdCluster } from '../../core/api.js';
import { BACKUP_OF_LABEL, backupsPvc, memberZeroPvc, restoreJob, snapshotJob } from '../../controller/backup-objects.js';

const images = { etcdRepository: 'gcr.io/etcd-development/etcd', guard: 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator:0.1.0' };

function cluster(spec: Partial<EtcdCluster['spec']> = {}): EtcdCluster {
  return { metadata: { name: 'demo', namespace: 'ns1', uid: 'u1' }, spec: { size: 3, backup: { keep: 3, volume: { size: '2Gi', storageClassName: 'fast' } }, ...spec } };
}

describe('backup objects', () => {
  it('PVC demo-backups: the size and class asked for, no owner (it outlives the cluster), not selected by the member Services', () => {
    const pvc = backupsPvc(cluster());
    expect(pvc.metadata).toMatchObject({ name: 'demo-backups', namespace: 'ns1', labels: { [BACKUP_OF_LABEL]: 'demo' } });
    expect(pvc.metadata!.ownerReferences).toBeUndefined();
    expect(pvc.metadata!.labels![CLUSTER_LABEL]).toBeUndefined();
    expect(pvc.spec).toMatchObject({ resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast', accessModes: ['ReadWriteOnce'] });
  });

  it('a snapshot Job: one try, etcd-backup as etcd\'s user, hardened, the volume, the members in order, what it serves on its annotations', () => {
    const from = [{ member: 'demo-1', endpoint: 'http://demo-1.demo.ns1.svc:2379' }, { member: 'demo-0', endpoint: 'http://demo-0.demo.ns1.svc:2379' }];
    const j = snapshotJob(cluster(), images, { name: 'demo-snapshot-x', from, requestedAt: '2026-12-02T10:00:00.000Z' });
    expect(j.spec!.backoffLimit).toBe(0);
    // A Job that cannot run fails at its deadline (recorded), rather than holding later snapshots back.
    expect(j.spec!.activeDeadlineSeconds).toBe(1800);
    expect(j.metadata!.ownerReferences![0]).toMatchObject({ kind: 'EtcdCluster', name: 'demo', uid: 'u1', controller: true });
    const pod = j.spec!.template.spec!;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.image).toBe(images.guard);
    expect(c.command).toEqual(['etcd-backup', 'snapshot', '--from', 'demo-1=http://demo-1.demo.ns1.svc:2379', '--from', 'demo-0=http://demo-0.demo.ns1.svc:2379',
      '--dir', '/backups', '--cluster', 'demo', '--keep', '3', '--requested-at', '2026-12-02T10:00:00.000Z']);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.volumes).toEqual([{ name: 'backups', persistentVolumeClaim: { claimName: 'demo-backups' } }]);
    expect(j.spec!.template.metadata!.labels![CLUSTER_LABEL]).toBeUndefined();
    expect(j.metadata!.annotations).toMatchObject({ 'etcd.k8s-operator.io/requested-at': '2026-12-02T10:00:00.000Z', 'etcd.k8s-operator.io/member': 'demo-1' });
  });

  it('a TLS cluster\'s snapshot Job presents the client certificate', () => {
    const j = snapshotJob(cluster({ tls: { enabled: true } }), images, { name: 'j', from: [{ member: 'demo-0', endpoint: 'https://demo-0.demo.ns1.svc:2379' }], scheduledFor: '2026-12-02T10:00:00.000Z' });
    const pod = j.spec!.template.spec!;
    expect(pod.containers[0].command).toEqual(expect.arrayContaining(['--tls-dir', '/etc/etcd-tls/client', '--scheduled-for', '2026-12-02T10:00:00.000Z']));
    expect(pod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'demo-tls-client', defaultMode: 0o440 } });
  });

  it('the restore Job: verify, etcd\'s own restore as member 0 (etcdutl from 3.5, etcdctl on 3.4), finish; the source volume read-only', () => {
    const from = { cluster: 'old', snapshot: 'old-20261202T100000Z-r9.db' };
    const j = restoreJob(cluster({ version: '3.5.16', bootstrap: { fromSnapshot: from } }), images);
    const pod = j.spec!.template.spec!;
    expect(pod.initContainers!.map((c) => c.name)).toEqual(['verify', 'restore']);
    expect(pod.initContainers![0].command!.slice(0, 2)).toEqual(['etcd-backup', 'verify']);
    const restore = pod.initContainers![1];
    expect(restore.image).toBe('gcr.io/etcd-development/etcd:v3.5.16');
    expect(restore.command).toEqual(expect.arrayContaining(['/usr/local/bin/etcdutl', 'snapshot', 'restore', `/backups/${from.snapshot}`, '--name', 'demo-0',
      '--initial-cluster', 'demo-0=http://demo-0.demo.ns1.svc:2380', '--data-dir', '/data/.restore']));
    expect(pod.containers[0].command!.slice(0, 2)).toEqual(['etcd-backup', 'finish']);
    expect(pod.volumes).toEqual([
      { name: 'backups', persistentVolumeClaim: { claimName: 'old-backups', readOnly: true } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-demo-0' } },
    ]);
    const old = restoreJob(cluster({ version: '3.4.23', bootstrap: { fromSnapshot: from } }), images);
    expect(old.spec!.template.spec!.initContainers![1].command![0]).toBe('/usr/local/bin/etcdctl');
  });

  it('member 0\'s PVC is the one the StatefulSet\'s claim template would make (it adopts it by name)', () => {
    const pvc = memberZeroPvc(cluster({ storage: { size: '64Mi' } }));
    expect(pvc.metadata).toEqual({ name: 'data-demo-0', namespace: 'ns1', labels: { [CLUSTER_LABEL]: 'demo' } });
    expect(pvc.spec!.resources!.requests!.storage).toBe('64Mi');
  });
});
