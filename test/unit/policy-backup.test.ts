// Rules V12 (spec.backup) and V13 (spec.bootstrap) and warning W10: backup settings the controller cannot carry
// out, a backups volume changed under its PVC, a restore from a snapshot that is not there, or a bootstrap changed
// after creation are denied with the values and the way out; and the webhook's own lookups of the restore source
// (the backups PVC, the snapshots the source cluster lists), faked here, where an unknown never denies.
import { jest } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { field } from '../../core/admission-review.js';
import type { EtcdCluster, EtcdClusterStatus, SnapshotRecord } from '../../core/api.js';
import { evaluateAdmission } from '../../core/policy.js';
import type { RestoreSource } from '../../core/backup-rules.js';
import type { Logger } from '../../core/log.js';
import { fixedClusterLookup, type ClusterLookup } from '../../webhook/cluster-cache.js';
import { exists, LOOKUP_TIMEOUT_MS } from '../../webhook/lookups.js';
import { validateEtcdCluster } from '../../webhook/processors/etcdcluster.js';
import type { ProcessorContext } from '../../webhook/processors/types.js';

const status: EtcdClusterStatus = {
  observedGeneration: 1,
  size: 3,
  members: [0, 1, 2].map((k) => ({ name: `demo-${k}`, id: `000000000000000${k + 1}`, isLearner: false, healthy: true })),
  conditions: [],
};
const create = (spec: object, restoreSource?: RestoreSource) =>
  evaluateAdmission({ operation: 'CREATE', name: 'demo', newSize: 3, newSpec: { size: 3, ...spec }, ...(restoreSource ? { restoreSource } : {}) });
const update = (oldSpec: object, newSpec: object, newSize = 3) =>
  evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize, oldSpec: { size: 3, ...oldSpec }, newSpec: { size: newSize, ...newSpec }, status, generation: 1 });

const SNAP = 'old-20261202T120000Z-r1234.db';
const restore = (fromSnapshot: object = { cluster: 'old', snapshot: SNAP }) => ({ bootstrap: { fromSnapshot } });

describe('V12: backup settings the controller can carry out', () => {
  it('admits a full spec.backup, an empty one and one with the defaults spelled out', () => {
    expect(create({ backup: { schedule: '*/30 * * * *', keep: 10, volume: { size: '5Gi', storageClassName: 'standard' } } })).toEqual({ allowed: true, warnings: [], bypassed: [] });
    expect(create({ backup: {} }).allowed).toBe(true);
    expect(create({ backup: { keep: 1, volume: { size: '64Mi' } } }).allowed).toBe(true);
    expect(create({ backup: { keep: 100, volume: { size: '67108864', storageClassName: 'fast.ssd-1' } } }).allowed).toBe(true);
  });

  it.each([
    [{ schedule: '*/30 * * *' }, 'spec.backup.schedule "*/30 * * *" has 4 fields; a schedule has 5 (minute hour day-of-month month day-of-week), e.g. "*/30 * * * *"'],
    [{ schedule: '0 25 * * *' }, 'spec.backup.schedule "0 25 * * *" is not a cron schedule: '],
    [{ schedule: '@hourly' }, 'spec.backup.schedule "@hourly" has 1 fields'],
    [{ schedule: 30 }, 'spec.backup.schedule 30 is not a string'],
    [{ keep: 0 }, 'spec.backup.keep is 0: it must be a whole number from 1 to 100 (the snapshots kept, newest first; default 7)'],
    [{ keep: 101 }, 'spec.backup.keep is 101: it must be a whole number from 1 to 100'],
    [{ keep: 2.5 }, 'spec.backup.keep is 2.5'],
    [{ volume: { size: '10Mi' } }, 'spec.backup.volume.size is 10Mi (10485760 bytes): it must be at least 64Mi (67108864 bytes, one snapshot of etcd\'s smallest backend)'],
    [{ volume: { size: 'lots' } }, 'spec.backup.volume.size is "lots", not a quantity (e.g. "5Gi")'],
    [{ volume: { storageClassName: 'Fast_SSD' } }, 'spec.backup.volume.storageClassName "Fast_SSD" is not a StorageClass name (a DNS subdomain'],
    [{ volume: { sise: '5Gi' } }, 'spec.backup.volume.sise is not a setting (spec.backup.volume takes size, storageClassName)'],
    [{ schedulee: '0 * * * *' }, 'spec.backup.schedulee is not a setting (spec.backup takes schedule, keep, volume)'],
    [{ volume: '5Gi' }, 'spec.backup.volume must be an object with size and storageClassName'],
  ])('denies spec.backup %j at creation, naming the field, the value and the bound', (backup, text) => {
    const v = create({ backup });
    expect(v).toMatchObject({ allowed: false, rule: 'V12' });
    expect(v.message).toMatch(/^V12: the backup settings of demo cannot be applied: /);
    expect(v.message).toContain(text);
    expect(v.message).toContain('and apply again');
  });

  it('says where to leave the schedule out, and names every problem at once', () => {
    expect(create({ backup: { schedule: '* * *' } }).message).toContain('(UTC; leave it out to take snapshots only when asked, kubectl etcd snapshot NAME)');
    const v = create({ backup: { schedule: 'x', keep: -1, volume: { size: '1Ki' } } });
    expect(v.message).toContain('spec.backup.schedule "x"');
    expect(v.message).toContain('spec.backup.keep is -1');
    expect(v.message).toContain('spec.backup.volume.size is 1Ki');
    expect(v.message).toContain('Fix these fields');
  });

  it('on UPDATE, judges spec.backup only when it changes: an object admitted before stays resizable', () => {
    const bad = { backup: { keep: 500 } };
    expect(update(bad, bad, 5).rule).not.toBe('V12');
    expect(update({}, bad)).toMatchObject({ allowed: false, rule: 'V12' });
    expect(update({}, { backup: { schedule: '0 3 * * *' } }).allowed).toBe(true);
    expect(update({ backup: { keep: 7 } }, { backup: { keep: 3, schedule: '0 * * * *' } }).allowed).toBe(true);
  });

  it.each([
    [{ volume: { size: '5Gi' } }, { volume: { size: '10Gi' } }, 'from size 5Gi, the default StorageClass to size 10Gi, the default StorageClass'],
    [{}, { volume: { size: '5Gi' } }, 'from size 1Gi, the default StorageClass to size 5Gi'],
    [{ volume: { size: '5Gi' } }, { volume: { size: '5Gi', storageClassName: 'fast' } }, 'from size 5Gi, the default StorageClass to size 5Gi, storageClassName fast'],
    [{ volume: { storageClassName: 'fast' } }, { volume: {} }, 'from size 1Gi, storageClassName fast to size 1Gi, the default StorageClass'],
  ])('denies a change of the backups volume %j -> %j: PVC demo-backups exists, and how to move', (before, after, text) => {
    const v = update({ backup: before }, { backup: after });
    expect(v).toMatchObject({ allowed: false, rule: 'V12' });
    expect(v.message).toContain(`V12: spec.backup.volume of demo cannot change (${text}`);
    expect(v.message).toContain('PVC demo-backups was made with it and holds the snapshots');
    expect(v.message).toContain('create a new EtcdCluster with it, restored from a snapshot of this one (spec.bootstrap.fromSnapshot: {cluster: demo, snapshot: NAME}; kubectl etcd snapshots demo lists them)');
  });

  it('is not fooled by the default size spelled out or the same size in other units', () => {
    expect(update({ backup: {} }, { backup: { volume: { size: '1Gi' } } }).allowed).toBe(true);
    expect(update({ backup: { volume: { size: '1Gi' } } }, { backup: { volume: { size: '1024Mi' } } }).allowed).toBe(true);
  });

  it('is not bypassed by force-resize', () => {
    expect(evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize: 3, oldSpec: { backup: {} }, newSpec: { backup: { volume: { size: '5Gi' } } }, forceResize: true }).rule).toBe('V12');
  });
});

describe('W10: removing spec.backup keeps the PVC and its snapshots', () => {
  it('allows the removal and says what is kept and how to see it', () => {
    const v = update({ backup: { schedule: '0 * * * *', volume: { size: '5Gi' } } }, {});
    expect(v.allowed).toBe(true);
    expect(v.warnings).toEqual([
      'W10: spec.backup removed from demo: no more snapshots are taken; PVC demo-backups and the snapshots in it are kept ' +
      '(kubectl etcd snapshots demo lists them; delete the PVC yourself when they are unwanted). Set spec.backup again and demo-backups is used as it is',
    ]);
  });

  it('says nothing when spec.backup stays, is added or changes', () => {
    expect(update({ backup: {} }, { backup: { keep: 3 } }).warnings).toEqual([]);
    expect(update({}, { backup: {} }).warnings).toEqual([]);
    expect(update({}, {}).warnings).toEqual([]);
  });
});

describe('V13: a bootstrap from a snapshot, at creation only', () => {
  it('admits a snapshot of another cluster, or of an earlier cluster of the same name', () => {
    expect(create(restore())).toEqual({ allowed: true, warnings: [], bypassed: [] });
    expect(create(restore({ cluster: 'demo', snapshot: 'demo-20261202T120000Z-r1.db' })).allowed).toBe(true);
    expect(create({ bootstrap: {} }).allowed).toBe(true);
  });

  it.each([
    [{ cluster: 'Old_1', snapshot: SNAP }, 'spec.bootstrap.fromSnapshot.cluster "Old_1" is not an EtcdCluster name (a DNS-1035 label'],
    [{ cluster: '1old', snapshot: '1old-20261202T120000Z-r1.db' }, 'spec.bootstrap.fromSnapshot.cluster "1old" is not an EtcdCluster name'],
    [{ cluster: 'a'.repeat(64), snapshot: SNAP }, 'at most 63 characters'],
    [{ cluster: 'old', snapshot: 'old.db' }, 'spec.bootstrap.fromSnapshot.snapshot "old.db" is not a snapshot file name (CLUSTER-YYYYMMDDTHHMMSSZ-rREVISION.db, e.g. demo-20261202T120000Z-r1234.db, as kubectl etcd snapshots CLUSTER lists them)'],
    [{ cluster: 'old', snapshot: 'old-2026-12-02-r1.db' }, 'is not a snapshot file name'],
    [{ cluster: 'old', snapshot: '../old-20261202T120000Z-r1.db' }, 'is not a snapshot file name'],
    [{ cluster: 'old', snapshot: 'other-20261202T120000Z-r1.db' }, 'spec.bootstrap.fromSnapshot.snapshot "other-20261202T120000Z-r1.db" is a snapshot of other, not of old: its name must begin with "old-" and the time (set fromSnapshot.cluster to other, or choose one of kubectl etcd snapshots old)'],
    [{ cluster: 'old', snapshot: 'old-x-20261202T120000Z-r1.db' }, 'is a snapshot of old-x, not of old'],
    [{ cluster: 'old', snapshot: SNAP, at: 'now' }, 'spec.bootstrap.fromSnapshot.at is not a setting (spec.bootstrap.fromSnapshot takes cluster, snapshot)'],
  ])('denies fromSnapshot %j, naming the field and the form it takes', (fromSnapshot, text) => {
    const v = create(restore(fromSnapshot));
    expect(v).toMatchObject({ allowed: false, rule: 'V13' });
    expect(v.message).toMatch(/^V13: demo cannot be bootstrapped as asked: /);
    expect(v.message).toContain(text);
    expect(v.message).toContain('and apply again');
  });

  it('denies a restore into emptyDir storage: member 0 would have no volume to restore into', () => {
    const v = create({ ...restore(), storage: { emptyDir: true } });
    expect(v).toMatchObject({ allowed: false, rule: 'V13' });
    expect(v.message).toContain('spec.bootstrap.fromSnapshot needs a volume for member 0 to restore into, and spec.storage.emptyDir is true');
  });

  it.each([
    [restore(), {}, 'from snapshot old-20261202T120000Z-r1234.db of old to none'],
    [{}, restore(), 'from none to snapshot old-20261202T120000Z-r1234.db of old'],
    [restore(), restore({ cluster: 'old', snapshot: 'old-20261203T120000Z-r2000.db' }), 'from snapshot old-20261202T120000Z-r1234.db of old to snapshot old-20261203T120000Z-r2000.db of old'],
  ])('denies any change of spec.bootstrap on UPDATE: %j -> %j', (before, after, text) => {
    const v = update(before, after);
    expect(v).toMatchObject({ allowed: false, rule: 'V13' });
    expect(v.message).toContain(`V13: spec.bootstrap of demo cannot change (${text}): bootstrap happens once, at creation; to restore again create a new EtcdCluster`);
  });

  it('on UPDATE, an unchanged spec.bootstrap (keys in another order too) lets the cluster be resized', () => {
    const a = restore({ cluster: 'old', snapshot: SNAP });
    const b = restore({ snapshot: SNAP, cluster: 'old' });
    expect(update(a, b, 5)).toMatchObject({ allowed: true });
  });
});

describe('V13: the restore source as the webhook read it (PVC CLUSTER-backups, the snapshots CLUSTER lists)', () => {
  const source = (s: Partial<RestoreSource>): RestoreSource => ({ namespace: 'ns', pvcExists: true, listed: 'none', ...s });
  const names = ['old-20261201T000000Z-r100.db', 'old-20261201T060000Z-r200.db', 'old-20261201T120000Z-r300.db', 'old-20261201T180000Z-r400.db',
    'old-20261202T000000Z-r500.db', 'old-20261202T060000Z-r600.db'];

  it('denies a restore when PVC CLUSTER-backups is not in the namespace, naming the PVC, the namespace and the command', () => {
    const v = create(restore(), source({ pvcExists: false }));
    expect(v).toMatchObject({ allowed: false, rule: 'V13' });
    expect(v.message).toBe(`V13: cannot restore demo from snapshot ${SNAP} of old: PVC old-backups does not exist in namespace ns, and a restore reads ` +
      'the snapshot from there (the new cluster\'s own namespace). Check the cluster\'s name and namespace with kubectl etcd snapshots old -n ns, ' +
      'or create demo in the namespace that holds old-backups.');
  });

  it('denies a snapshot the source cluster does not list, naming its 5 newest', () => {
    const v = create(restore(), source({ listed: [...names].reverse() }));
    expect(v).toMatchObject({ allowed: false, rule: 'V13' });
    expect(v.message).toContain(`V13: cannot restore demo from snapshot ${SNAP} of old: EtcdCluster old does not list that snapshot in status.backup.snapshots ` +
      '(its newest: old-20261202T060000Z-r600.db, old-20261202T000000Z-r500.db, old-20261201T180000Z-r400.db, old-20261201T120000Z-r300.db, ' +
      'old-20261201T060000Z-r200.db; 6 in all). Set spec.bootstrap.fromSnapshot.snapshot to one it lists (kubectl etcd snapshots old).');
    expect(v.message).not.toContain('r100');
  });

  it('denies when the source lists no snapshot yet, saying how to take one', () => {
    expect(create(restore(), source({ listed: [] })).message).toContain('it lists no snapshot yet (kubectl etcd snapshot old takes one)');
  });

  it('admits a listed snapshot, and a source with no list or no cluster (deleted: its PVC is kept)', () => {
    expect(create(restore(), source({ listed: [SNAP, ...names] }))).toEqual({ allowed: true, warnings: [], bypassed: [] });
    expect(create(restore(), source({ listed: 'none' }))).toEqual({ allowed: true, warnings: [], bypassed: [] });
  });

  it('W10: what could not be read is not a denial, and the warning says what was not checked', () => {
    const v = create(restore(), source({ pvcExists: undefined, listed: undefined }));
    expect(v.allowed).toBe(true);
    expect(v.warnings).toEqual([`W10: the webhook could not read PVC old-backups or EtcdCluster old in namespace ns, so the restore source of demo ` +
      `(snapshot ${SNAP} of old) is not checked: if it is missing the restore cannot run, and kubectl etcd status demo shows why`]);
    expect(create(restore(), source({ listed: undefined })).warnings).toEqual([expect.stringMatching(/^W10: the webhook could not read EtcdCluster old in namespace ns/)]);
  });

  it('the shape is judged before the source: a bad snapshot name is named, not looked for', () => {
    expect(create(restore({ cluster: 'old', snapshot: 'latest' }), source({ pvcExists: false })).message).toMatch(/^V13: demo cannot be bootstrapped as asked: .*"latest" is not a snapshot file name/);
  });
});

describe('the webhook reads the restore source at CREATE (fake API: a fixed cluster lookup and PVC set)', () => {
  const record = (name: string): SnapshotRecord => ({ name, revision: 1, sizeBytes: 10, sha256: 'ab', takenAt: '2026-12-02T12:00:00Z', member: 'old-0' });
  const oldCluster: EtcdCluster = {
    metadata: { name: 'old', namespace: 'ns', uid: 'uid-old', generation: 1 },
    spec: { size: 3 },
    status: { backup: { snapshots: [record('old-20261202T180000Z-r2000.db'), record(SNAP)] } },
  };
  const asked: string[] = [];
  const context = (over: Partial<ProcessorContext> = {}, pvcs = ['ns/old-backups']): ProcessorContext => ({
    maxSize: 7,
    clusters: fixedClusterLookup([oldCluster]),
    recorder: { record: async () => undefined, recordRequest: async () => undefined },
    now: () => new Date('2026-12-02T19:30:00.000Z'),
    pvcExists: async (ns, name) => { asked.push(`${ns}/${name}`); return pvcs.includes(`${ns}/${name}`); },
    ...over,
  });
  const admit = (spec: object, ctx: ProcessorContext, operation: 'CREATE' | 'UPDATE' = 'CREATE') => validateEtcdCluster({
    uid: 'u', operation, name: 'demo', namespace: 'ns',
    object: { metadata: { name: 'demo', namespace: 'ns' }, spec: { size: 3, ...spec } },
    ...(operation === 'UPDATE' ? { oldObject: { metadata: { name: 'demo', namespace: 'ns', generation: 1 }, spec: { size: 3, ...spec } } } : {}),
  }, ctx);
  const message = (d: Awaited<ReturnType<typeof admit>>) => String(field(d.response, 'status', 'message'));

  beforeEach(() => { asked.length = 0; });

  it('admits a snapshot the source lists, after asking for PVC old-backups in the request\'s namespace', async () => {
    const d = await admit(restore(), context());
    expect(d.response).toEqual({ allowed: true });
    expect(asked).toEqual(['ns/old-backups']);
  });

  it('denies with V13 (403) when the PVC is missing', async () => {
    const d = await admit(restore(), context({}, []));
    expect(d).toMatchObject({ kind: 'EtcdCluster', rule: 'V13', response: { allowed: false, status: { code: 403, reason: 'Forbidden' } } });
    expect(message(d)).toContain('PVC old-backups does not exist in namespace ns');
    expect(message(d)).toContain('kubectl etcd snapshots old -n ns');
  });

  it('denies a snapshot the source does not list, naming those it does', async () => {
    const d = await admit(restore({ cluster: 'old', snapshot: 'old-20261130T000000Z-r5.db' }), context());
    expect(d.rule).toBe('V13');
    expect(message(d)).toContain(`its newest: old-20261202T180000Z-r2000.db, ${SNAP}`);
  });

  it('a source EtcdCluster that is gone (PVC kept) is not a reason to deny', async () => {
    const d = await admit(restore({ cluster: 'gone', snapshot: 'gone-20261202T120000Z-r7.db' }), context({}, ['ns/gone-backups']));
    expect(d.response).toEqual({ allowed: true });
  });

  it('an API that cannot be read denies nothing: allowed with W10', async () => {
    const broken: ClusterLookup = { synced: () => true, get: async () => { throw new Error('API server unreachable'); } };
    const d = await admit(restore(), context({ clusters: broken, pvcExists: async () => undefined }));
    expect(d.response.allowed).toBe(true);
    expect(d.response.warnings).toEqual([expect.stringMatching(/^W10: the webhook could not read PVC old-backups or EtcdCluster old in namespace ns/)]);
    // A webhook without the PVC lookup (tests, benchmarks) has not checked it either, and says so.
    expect((await admit(restore(), context({ pvcExists: undefined }))).response.warnings).toEqual([expect.stringMatching(/^W10: .*could not read PVC old-backups in/)]);
  });

  it('asks nothing on UPDATE, nor for a cluster name that is not one', async () => {
    expect((await admit(restore(), context({}, []), 'UPDATE')).response.allowed).toBe(true);
    expect((await admit(restore({ cluster: 'Bad/../x', snapshot: SNAP }), context())).rule).toBe('V13');
    expect(asked).toEqual([]);
  });
});

describe('lookups: a 404 is "absent", any other failure or a slow answer "unknown" (logged)', () => {
  const warned: unknown[] = [];
  const log = { warn: (obj: unknown) => { warned.push(obj); } } as unknown as Logger;
  beforeEach(() => { warned.length = 0; });

  it('answers true, false on 404, undefined on another error', async () => {
    expect(await exists(async () => ({}), log, { pvc: 'ns/a' })).toBe(true);
    expect(await exists(async () => { throw new ApiException(404, 'not found', {}, {}); }, log, { pvc: 'ns/a' })).toBe(false);
    expect(warned).toEqual([]);
    expect(await exists(async () => { throw new ApiException(403, 'forbidden', {}, {}); }, log, { pvc: 'ns/a' })).toBeUndefined();
    expect(warned).toEqual([expect.objectContaining({ pvc: 'ns/a', err: expect.stringContaining('forbidden') })]);
  });

  it('gives up after LOOKUP_TIMEOUT_MS, well inside the webhook\'s 5 s', async () => {
    jest.useFakeTimers();
    try {
      const answer = exists(() => new Promise(() => undefined), log, { priorityClass: 'p' });
      jest.advanceTimersByTime(LOOKUP_TIMEOUT_MS);
      expect(await answer).toBeUndefined();
      expect(warned).toEqual([expect.objectContaining({ priorityClass: 'p', err: `no answer within ${LOOKUP_TIMEOUT_MS} ms` })]);
    } finally {
      jest.useRealTimers();
    }
    expect(LOOKUP_TIMEOUT_MS).toBeLessThan(5000);
  });
});
