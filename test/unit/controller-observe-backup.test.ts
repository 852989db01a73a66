// What the backup decisions see of a finished Job (controller/observe-backup.ts): its program's words from the
// pod's termination message, read from the API server when the pod watch has not brought the container's end yet
// (the Job watch can be ahead of it; a result recorded without its words would be recorded wrong for good).
import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import type { EtcdCluster } from '../../core/api.js';
import { BACKUP_OF_LABEL, JOB_KIND_LABEL } from '../../controller/backup-objects.js';
import { observeBackup } from '../../controller/observe-backup.js';
import type { PassReads } from '../../controller/reads.js';

const cluster = { metadata: { name: 'broken', namespace: 'ns' }, spec: { size: 1, bootstrap: { fromSnapshot: { cluster: 'demo', snapshot: 'x.db' } } } } as unknown as EtcdCluster;
const job: V1Job = {
  metadata: { name: 'broken-restore', labels: { [BACKUP_OF_LABEL]: 'broken', [JOB_KIND_LABEL]: 'restore' } },
  status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] },
};
const pod = (terminated: boolean): V1Pod => ({
  metadata: { name: 'broken-restore-abcde', labels: { 'job-name': 'broken-restore', [BACKUP_OF_LABEL]: 'broken' } },
  status: {
    phase: terminated ? 'Failed' : 'Pending',
    initContainerStatuses: [{
      name: 'verify', image: 'op', imageID: '', ready: false, restartCount: 0,
      state: terminated ? { terminated: { exitCode: 1, message: '{"error":"sha256 mismatch for x.db"}' } } : { running: {} },
    }],
  },
});

function reads(cachedPods: V1Pod[], apiPods: V1Pod[]): PassReads & { fromApi: string[] } {
  const fromApi: string[] = [];
  return {
    fromApi,
    cluster: async () => cluster,
    get: async () => undefined,
    list: async <T extends KubernetesObject>(kind: string) => (kind === 'Job' ? [job] : cachedPods) as unknown as T[],
    listFromApi: async <T extends KubernetesObject>(kind: string, _ns: string, _k: string, _v: string, why: string) => {
      fromApi.push(`${kind} ${why}`);
      return apiPods as unknown as T[];
    },
  };
}

describe('observeBackup', () => {
  it('a failed Job whose pod the cache shows ended: its words from the cache, no API read', async () => {
    const r = reads([pod(true)], []);
    const o = await observeBackup(r, cluster);
    expect(o!.jobs[0]).toMatchObject({ kind: 'restore', state: 'Failed', result: { error: 'sha256 mismatch for x.db' } });
    expect(r.fromApi).toEqual([]);
  });

  it('a failed Job whose pod the cache still shows running: the pods are read from the API server, and their words used', async () => {
    const r = reads([pod(false)], [pod(true)]);
    const o = await observeBackup(r, cluster);
    expect(r.fromApi).toEqual(['Pod job-result']);
    expect(o!.jobs[0]).toMatchObject({ state: 'Failed', result: { error: 'sha256 mismatch for x.db' } });
  });
});
