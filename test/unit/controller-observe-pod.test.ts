// What the controller reads from a pod (controller/observe-pod.ts): here, when a pod being deleted stopped its etcd.
import type { V1Pod } from '@kubernetes/client-node';
import { observePod } from '../../controller/observe-pod.js';

const pod = (extra: { deletion?: string; grace?: number; etcd?: NonNullable<V1Pod['status']>['containerStatuses'] }): V1Pod => ({
  metadata: { name: 'demo-2', creationTimestamp: new Date('2026-01-01T00:00:00Z'), ...(extra.deletion ? { deletionTimestamp: new Date(extra.deletion), deletionGracePeriodSeconds: extra.grace } : {}) },
  status: { phase: 'Running', containerStatuses: extra.etcd },
});
const etcd = (state: object) => [{ name: 'etcd', image: 'etcd', imageID: '', ready: false, restartCount: 0, state }];

describe('etcdStoppedAt: since when the node reports etcd stopped in a pod being deleted', () => {
  it('its exit time when it terminated', () => {
    const p = observePod(pod({ deletion: '2026-01-01T00:10:30Z', grace: 30, etcd: etcd({ terminated: { exitCode: 0, finishedAt: new Date('2026-01-01T00:10:02Z') } }) }), 2, undefined);
    expect(p).toMatchObject({ deleting: true, etcdStoppedAt: Date.parse('2026-01-01T00:10:02Z') });
  });
  it('the time the deletion was asked for (deadline minus grace) when it is not running and has no exit (removed, waiting)', () => {
    const p = observePod(pod({ deletion: '2026-01-01T00:10:30Z', grace: 30, etcd: etcd({ waiting: { reason: 'ContainerCreating' } }) }), 2, undefined);
    expect(p.etcdStoppedAt).toBe(Date.parse('2026-01-01T00:10:00Z'));
  });
  it('none while it runs, and none for a pod not being deleted', () => {
    expect(observePod(pod({ deletion: '2026-01-01T00:10:30Z', grace: 30, etcd: etcd({ running: { startedAt: new Date('2026-01-01T00:01:00Z') } }) }), 2, undefined)).not.toHaveProperty('etcdStoppedAt');
    expect(observePod(pod({ etcd: etcd({ terminated: { exitCode: 1, finishedAt: new Date('2026-01-01T00:10:02Z') } }) }), 2, undefined)).not.toHaveProperty('etcdStoppedAt');
  });
});
