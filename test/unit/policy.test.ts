import { DEFAULT_ETCD_VERSION, type Condition, type EtcdClusterStatus, type MemberStatus } from '../../core/api.js';
import { MAX_NAME_LENGTH } from '../../core/object-rules.js';
import { evaluateAdmission, evaluateRecover, evaluateReplace, evaluateResize, recoveryProposal, type ResizeRequest, type RuleId } from '../../core/policy.js';

// Members of cluster "demo" by ordinal: h = healthy voter, u = unhealthy voter, l = learner, - = no member.
function st(members: string, extra: { progressing?: string; observedGeneration?: number; lastResize?: { from: number; to: number } } = {}): EtcdClusterStatus {
  const conditions: Condition[] = extra.progressing === undefined ? [] : [{
    type: 'Progressing', status: 'True', reason: 'Scaling', message: extra.progressing, lastTransitionTime: '2026-01-01T00:00:00Z',
  }];
  return {
    observedGeneration: extra.observedGeneration ?? 1,
    members: [...members].flatMap((c, i) => c === '-' ? [] : [{
      name: `demo-${i}`, id: (i + 1).toString(16).padStart(16, '0'), isLearner: c === 'l', healthy: c !== 'u',
    }]),
    conditions,
    lastResize: extra.lastResize,
  };
}

const upd = (oldSize: number, newSize: unknown, status?: EtcdClusterStatus, more: Partial<ResizeRequest> = {}): ResizeRequest =>
  ({ operation: 'UPDATE', oldSize, newSize, status, generation: 1, name: 'demo', ...more });

interface Row { name: string; req: ResizeRequest; allowed: boolean; rule?: RuleId; contains?: string[]; warnings?: string[]; bypassed?: RuleId[] }

const rows: Row[] = [
  // V1: never bypassed, on CREATE and UPDATE
  { name: 'CREATE 3', req: { operation: 'CREATE', newSize: 3 }, allowed: true, warnings: [] },
  { name: 'CREATE 4 warns W1', req: { operation: 'CREATE', newSize: 4 }, allowed: true, warnings: ['W1'] },
  { name: 'CREATE 0', req: { operation: 'CREATE', newSize: 0 }, allowed: false, rule: 'V1', contains: ['1 to 7', 'got 0'] },
  { name: 'CREATE max+1', req: { operation: 'CREATE', newSize: 8 }, allowed: false, rule: 'V1', contains: ['got 8'] },
  { name: 'CREATE at max', req: { operation: 'CREATE', newSize: 7 }, allowed: true, warnings: [] },
  { name: 'CREATE with --max-size 5', req: { operation: 'CREATE', newSize: 6, maxSize: 5 }, allowed: false, rule: 'V1', contains: ['1 to 5'] },
  { name: 'CREATE missing size', req: { operation: 'CREATE', newSize: undefined }, allowed: false, rule: 'V1', contains: ['got no size'] },
  { name: 'UPDATE string size', req: upd(3, '5', st('hhh')), allowed: false, rule: 'V1', contains: ['the string "5"'] },
  { name: 'UPDATE float size', req: upd(3, 3.5, st('hhh')), allowed: false, rule: 'V1', contains: ['got 3.5'] },
  { name: 'UPDATE null size', req: upd(3, null, st('hhh')), allowed: false, rule: 'V1', contains: ['got null'] },
  { name: 'UPDATE object size', req: upd(3, { a: 1 }, st('hhh')), allowed: false, rule: 'V1', contains: ['an object {"a":1}'] },
  { name: 'UPDATE negative', req: upd(3, -1, st('hhh')), allowed: false, rule: 'V1', contains: ['got -1'] },
  { name: 'UPDATE huge', req: upd(3, 1e300, st('hhh')), allowed: false, rule: 'V1', contains: ['got 1e+300'] },
  { name: 'V1 is not bypassed by force-resize', req: upd(3, 0, st('hhh'), { forceResize: true }), allowed: false, rule: 'V1' },
  { name: 'V1 precedes V2', req: upd(3, 9, st('huu')), allowed: false, rule: 'V1' },

  // unchanged size: allowed, no warnings, whatever the state
  { name: 'UPDATE size unchanged on lost quorum', req: upd(3, 3, st('huu')), allowed: true, warnings: [] },
  { name: 'UPDATE size unchanged even', req: upd(4, 4, st('hhhh')), allowed: true, warnings: [] },
  { name: 'UPDATE size unchanged above a lowered max', req: upd(7, 7, st('hhhhhhh'), { maxSize: 5 }), allowed: true, warnings: [] },

  // not formed and not in progress: only V1
  { name: 'not formed: any valid size', req: upd(3, 5, undefined), allowed: true, warnings: [] },
  { name: 'not formed, empty members', req: upd(3, 1, { members: [], observedGeneration: 1 }), allowed: true, warnings: ['W2'] },

  // healthy resizes
  { name: 'grow 1 -> 3 healthy', req: upd(1, 3, st('h')), allowed: true, warnings: [] },
  { name: 'grow 3 -> 5 healthy', req: upd(3, 5, st('hhh')), allowed: true, warnings: [] },
  { name: 'shrink 5 -> 3 healthy', req: upd(5, 3, st('hhhhh')), allowed: true, warnings: [] },
  { name: 'grow 3 -> 4 warns W1', req: upd(3, 4, st('hhh')), allowed: true, warnings: ['W1'], contains: [] },
  { name: 'shrink 3 -> 2 warns W1, and W2: no failure tolerated when done', req: upd(3, 2, st('hhh')), allowed: true, warnings: ['W1', 'W2'],
    contains: ['W2: when resized from 3 to 2, demo tolerates no failure (2 healthy of 2 voting, quorum 2)'] },
  { name: 'shrink 3 -> 1 warns W2', req: upd(3, 1, st('hhh')), allowed: true, warnings: ['W2'] },
  { name: 'shrink with unhealthy highest member is safe (it leaves; nothing unhealthy kept)', req: upd(3, 2, st('hhu')), allowed: true, warnings: ['W1', 'W2'] },
  { name: 'grow 1 -> 2 ends tolerating no failure: W1 and W2', req: upd(1, 2, st('h')), allowed: true, warnings: ['W1', 'W2'] },

  // W4: a shrink that keeps an unhealthy member says so, with the tolerance counted on healthy members
  // repair.policy Manual: the shrink keeps the unhealthy member, and says so.
  { name: 'shrink 5 -> 3 keeping unhealthy demo-2 warns W2 and W4', req: upd(5, 3, st('hhuhh'), { repairPolicy: 'Manual' }), allowed: true, warnings: ['W2', 'W4'],
    contains: ['W2: when resized from 5 to 3, demo tolerates no failure (2 healthy of 3 voting, quorum 2)',
      'W4: shrinking demo from 5 to 3 keeps unhealthy demo-2 (members leave from the highest ordinal down: demo-4, demo-3); when done it tolerates 0 failure(s) instead of 1: repair demo-2 (kubectl etcd status demo)'] },
  { name: 'shrink 7 -> 5 keeping unhealthy demo-0 warns W4 only (1 failure still tolerated)', req: upd(7, 5, st('uhhhhhh'), { repairPolicy: 'Manual' }), allowed: true, warnings: ['W4'],
    contains: ['keeps unhealthy demo-0', 'demo-6, demo-5', 'tolerates 1 failure(s) instead of 2'] },
  // repair.policy Auto (the default): the shrink ends by replacing the unhealthy member it keeps.
  { name: 'shrink 5 -> 3 with demo-2 unhealthy (Auto): W4 says it is replaced at the end; it ends tolerating 1', req: upd(5, 3, st('hhuhh')), allowed: true, warnings: ['W4'],
    contains: ['W4: shrinking demo from 5 to 3 keeps unhealthy demo-2: replaced at the end (repair.policy Auto'] },

  // V2: quorum lost
  { name: 'V2 grow', req: upd(3, 5, st('huu')), allowed: false, rule: 'V2', contains: ['1 of 3 voting members healthy, quorum is 2', 'demo-1, demo-2', 'force-resize: "true"', 'kubectl etcd status demo'] },
  { name: 'V2 shrink', req: upd(3, 1, st('uuh')), allowed: false, rule: 'V2', contains: ['quorum is lost', 'demo-0, demo-1'] },
  { name: 'V2 precedes V3', req: upd(3, 5, st('huul', { progressing: 'adding demo-3' })), allowed: false, rule: 'V2' },
  { name: 'V2 counts voting members only', req: upd(2, 3, st('hull')), allowed: false, rule: 'V2', contains: ['1 of 2 voting members healthy, quorum is 2'] },

  // V3: in progress
  {
    name: 'V3 by Progressing condition', allowed: false, rule: 'V3',
    req: upd(5, 3, st('hhhhl', { progressing: 'promoting learner demo-4', lastResize: { from: 3, to: 5 } })),
    contains: ['V3: a resize of demo from 3 to 5 is in progress', '4 of 5 voting members', 'learner demo-4 joining',
      'step: promoting learner demo-4', 'set spec.size to 4 to stop where it is', 'kubectl etcd status demo', 'force-resize: "true"'],
  },
  {
    name: 'V3 by observedGeneration lag', allowed: false, rule: 'V3',
    req: upd(3, 5, st('h', { observedGeneration: 1 }), { generation: 2 }),
    contains: ['to 3 is in progress', '1 of 3 voting members', 'observed generation 1 of 2', 'set spec.size to 1'],
  },
  { name: 'V3 allows stopping where it is', req: upd(5, 4, st('hhhhl', { progressing: 'adding demo-4' })), allowed: true, warnings: ['W1'] },
  {
    name: 'V3 in progress before any member exists', allowed: false, rule: 'V3',
    req: upd(3, 5, { members: [], observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'True', reason: 'Creating', message: 'creating', lastTransitionTime: '' }] }),
    contains: ['0 of 3 voting members'],
  },
  { name: 'V3 precedes V4', req: upd(5, 7, st('hhhu', { progressing: 'x' })), allowed: false, rule: 'V3' },
  { name: 'Progressing False is not in progress', allowed: true, warnings: [],
    req: upd(3, 5, { ...st('hhh'), conditions: [{ type: 'Progressing', status: 'False', reason: 'Done', message: '', lastTransitionTime: '' }] }) },

  // V4: grow with an unhealthy member
  { name: 'V4', req: upd(3, 5, st('hhu')), allowed: false, rule: 'V4', contains: ['from 3 to 5', '1 of 3 voting members unhealthy', 'demo-2', 'force-resize: "true"'] },
  { name: 'V4 not on shrink', req: upd(5, 4, st('hhhhu')), allowed: true, warnings: ['W1'] },
  { name: 'V4 precedes V5 (grow only, so V5 cannot apply)', req: upd(5, 7, st('hhhhu')), allowed: false, rule: 'V4' },

  // V5: a shrink step would break quorum
  { name: 'V5 at the first step', req: upd(5, 3, st('huuhh')), allowed: false, rule: 'V5',
    contains: ['from 5 to 3', 'step k=4', 'going from 5 to 4 members leaves 2 healthy of the 4 remaining, quorum is 3', 'Repair demo-1, demo-2 first', 'force-resize: "true"'] },
  { name: 'V5 at a later step', req: upd(5, 2, st('huhhh')), allowed: false, rule: 'V5', contains: ['step k=2', '1 healthy of the 2 remaining, quorum is 2', 'Repair demo-1 first'] },
  { name: 'V5 shrink to 1 keeping an unhealthy member 0', req: upd(3, 1, st('uhh')), allowed: false, rule: 'V5',
    contains: ['step k=2', '1 healthy of the 2 remaining, quorum is 2', 'Repair demo-0 first'] },
  { name: 'V2 on 2 members with one down (V5 never reached)', req: upd(2, 1, st('uh')), allowed: false, rule: 'V2', contains: ['1 of 2 voting members healthy, quorum is 2'] },
  { name: 'V5 passes when unhealthy members leave first', req: upd(5, 3, st('hhhuu')), allowed: true, warnings: [] },

  // force-resize bypasses V2..V5 with W3 naming each rule
  { name: 'force bypasses V2 (and V4); W2: the 5 members would tolerate no failure', req: upd(3, 5, st('huu'), { forceResize: true }), allowed: true, warnings: ['W2', 'W3', 'W3'], bypassed: ['V2', 'V4'],
    contains: ['3 healthy of 5 voting, quorum 3'] },
  { name: 'force bypasses V3', req: upd(5, 3, st('hhhhl', { progressing: 'x' }), { forceResize: true }), allowed: true, warnings: ['W3'], bypassed: ['V3'] },
  { name: 'force bypasses V4 with W1 and W2', req: upd(3, 4, st('hhu'), { forceResize: true }), allowed: true, warnings: ['W1', 'W2', 'W3'], bypassed: ['V4'] },
  { name: 'force bypasses V5 with W2 (no quorum when done) and W4 (keeps demo-0)', req: upd(3, 1, st('uhh'), { forceResize: true, repairPolicy: 'Manual' }), allowed: true, warnings: ['W2', 'W4', 'W3'], bypassed: ['V5'],
    contains: ['demo has no quorum (0 healthy of 1 voting, quorum 1)', 'keeps unhealthy demo-0', 'when done it has no quorum'] },
  { name: 'force with nothing to bypass: no W3', req: upd(3, 5, st('hhh'), { forceResize: true }), allowed: true, warnings: [], bypassed: [] },

  // /scale: the same inputs, status read from the EtcdCluster
  { name: '/scale 3 -> 5 healthy', req: upd(3, 5, st('hhh')), allowed: true, warnings: [] },
  { name: '/scale replicas as a string', req: upd(3, 'five', st('hhh')), allowed: false, rule: 'V1' },
  { name: 'without a name the message says NAME', req: upd(3, 5, st('hhu'), { name: undefined }), allowed: false, rule: 'V4', contains: ['the cluster', 'kubectl etcd status NAME'] },
];

describe('evaluateResize', () => {
  it.each(rows)('$name', (row) => {
    const v = evaluateResize(row.req);
    expect(v.allowed).toBe(row.allowed);
    expect(v.rule).toBe(row.rule);
    if (row.allowed) {
      expect(v.message).toBeUndefined();
      expect(v.warnings.map((w) => w.slice(0, 2))).toEqual(row.warnings ?? []);
      expect(v.bypassed).toEqual(row.bypassed ?? []);
    } else {
      expect(v.message?.startsWith(`${row.rule}: `)).toBe(true);
      expect(v.warnings).toEqual([]);
      // Every denial but V1 offers force-resize as the last resort.
      expect(v.message?.includes('force-resize: "true"')).toBe(row.rule !== 'V1');
    }
    for (const text of row.contains ?? []) expect(v.message ?? v.warnings.join('\n')).toContain(text);
  });

  it('warnings start with their id and stay under the API server limit of 256 characters', () => {
    const v = evaluateResize(upd(5, 2, st('huhhh'), { forceResize: true }));
    expect(v.warnings.length).toBeGreaterThan(0);
    for (const w of v.warnings) {
      expect(w).toMatch(/^W[1-4]: /);
      expect(w.length).toBeLessThanOrEqual(256);
    }
  });

  it('W3 names the bypassed rule and the numbers', () => {
    const v = evaluateResize(upd(3, 5, st('hhu'), { forceResize: true }));
    expect(v.warnings).toEqual([expect.stringMatching(/^W3: etcd\.k8s-operator\.io\/force-resize bypassed V4: .*1 of 3 voting members unhealthy \(demo-2\)/)]);
  });

  it('W1 does not suggest a size above --max-size', () => {
    expect(evaluateResize({ operation: 'CREATE', newSize: 6, maxSize: 6 }).warnings).toEqual([expect.stringMatching(/prefer 5$/)]);
  });
});

describe('V5 and the plan agree on who leaves', () => {
  it('a member without an ordinal of ours never leaves: its health counts in every step', () => {
    const status = st('hhh');
    status.members!.push({ name: 'outsider', id: '00000000000000ff', isLearner: false, healthy: false });
    // 4 voting (outsider down) -> 2: demo-2 and demo-1 leave, demo-0 and the outsider stay: 1 healthy of 2.
    const v = evaluateResize(upd(4, 2, status));
    expect(v).toMatchObject({ allowed: false, rule: 'V5' });
    expect(v.message).toContain('step k=2');
    expect(v.message).toContain('Repair outsider first');
  });
});

describe('evaluateAdmission: the object itself (V6 names, V7 fields applied only at creation)', () => {
  const create = (name: string) => evaluateAdmission({ operation: 'CREATE', name, newSize: 3, newSpec: { size: 3 } });
  const update = (oldSpec: object, newSpec: object) =>
    evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize: 3, oldSpec: { size: 3, ...oldSpec }, newSpec: { size: 3, ...newSpec }, status: st('hhh'), generation: 1 });

  it.each([
    ['1bad', 'it starts with "1", not a lower-case letter'],
    ['Demo', 'it starts with "D", not a lower-case letter'],
    ['demo_1', 'it contains "_"'],
    ['demo.a', 'it contains "."'],
    ['demo-', "it ends with '-'"],
    ['a'.repeat(65), 'it is 65 characters, 13 more than the 52 that fit'],
    ['a'.repeat(53), 'it is 53 characters, 1 more than the 52 that fit'],
  ])('V6 denies %j at CREATE: %s, naming the limit', (name, why) => {
    const v = create(name);
    expect(v).toMatchObject({ allowed: false, rule: 'V6' });
    expect(v.message).toContain(why);
    expect(v.message).toContain('DNS-1035 label');
    expect(v.message).toContain('at most 52 characters');
    expect(v.message).toContain('controller-revision-hash=NAME-<hash of up to 10 characters>');
  });

  it('the limit is 52: NAME-<10-character hash> is a 63-character label value, and NAME-8 fits', () => {
    expect(MAX_NAME_LENGTH).toBe(52);
    expect(`${'a'.repeat(52)}-${'h'.repeat(10)}`).toHaveLength(63);
    expect(create('a'.repeat(52)).allowed).toBe(true);
    expect(create('demo').allowed).toBe(true);
    expect(create('a1-b2').allowed).toBe(true);
  });

  it('V6 applies to CREATE only (an existing object keeps its name)', () => {
    expect(evaluateAdmission({ operation: 'UPDATE', name: 'a'.repeat(60), oldSize: 3, newSize: 3, oldSpec: { size: 3 }, newSpec: { size: 3 } }).allowed).toBe(true);
  });

  it('V7 denies a storage change, saying what to do instead', () => {
    const v = update({ storage: { size: '1Gi' } }, { storage: { size: '5Gi' } });
    expect(v).toMatchObject({ allowed: false, rule: 'V7' });
    expect(v.message).toContain('V7: spec.storage of demo cannot change (from size 1Gi to size 5Gi)');
    expect(v.message).toContain('would apply to nothing');
    expect(v.message).toContain('create a new EtcdCluster');
    expect(update({}, { storage: { storageClassName: 'fast' } })).toMatchObject({ allowed: false, rule: 'V7' });
    expect(update({ storage: { emptyDir: true } }, {})).toMatchObject({ allowed: false, rule: 'V7' });
  });

  it('V7 is not fooled by a default spelled out or the same quantity in other units', () => {
    expect(update({}, { storage: { size: '1Gi' } }).allowed).toBe(true);
    expect(update({ storage: { size: '1Gi' } }, { storage: { size: '1024Mi' } }).allowed).toBe(true);
    expect(update({}, { version: DEFAULT_ETCD_VERSION }).allowed).toBe(true);
  });

  it('a version change is judged by V10, not V7 (it is rolled out): a patch change is allowed', () => {
    expect(update({ version: '3.6.5' }, { version: '3.6.6' })).toMatchObject({ allowed: true });
    expect(update({ version: '3.6.5' }, { version: '3.4.23' })).toMatchObject({ allowed: false, rule: 'V10' });
  });

  it('V6, V7 and V10 are not bypassed by force-resize', () => {
    expect(evaluateAdmission({ operation: 'CREATE', name: '1bad', newSize: 3, newSpec: {}, forceResize: true }).rule).toBe('V6');
    expect(evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize: 3, oldSpec: {}, newSpec: { storage: { size: '5Gi' } }, forceResize: true }).rule).toBe('V7');
    expect(evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize: 3, oldSpec: {}, newSpec: { version: '9.9.9' }, forceResize: true }).rule).toBe('V10');
  });

  it('then the resize rules, with their warnings', () => {
    expect(evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize: 4, oldSpec: { size: 3 }, newSpec: { size: 4 }, status: st('hhh'), generation: 1 }).warnings.map((w) => w.slice(0, 2))).toEqual(['W1']);
  });
});

describe('evaluateReplace (V8, W5) and evaluateRecover (V9, W6)', () => {
  const ms = (spec: string, extra: (i: number) => Partial<MemberStatus> = () => ({})) =>
    ({ members: [...spec].map((c, i) => ({ name: `demo-${i}`, id: `000000000000000${i + 1}`, isLearner: false, healthy: c === 'h', ...extra(i) })) });
  it('V8: a voting member, by its current ID, one change at a time, only while the others keep a healthy quorum', () => {
    expect(evaluateReplace({ name: 'demo', member: 'demo-2', id: '0000000000000003', status: ms('hhh') })).toMatchObject({ allowed: true, warnings: [expect.stringMatching(/^W5: while demo-2 is replaced, demo tolerates no failure/)] });
    expect(evaluateReplace({ name: 'demo', member: 'demo-2', status: ms('hhhhh') })).toEqual({ allowed: true, warnings: [], bypassed: [] });
    expect(evaluateReplace({ name: 'demo', member: 'demo-2', status: ms('hhu') })).toMatchObject({ allowed: true });
    expect(evaluateReplace({ name: 'demo', member: 'demo-0', status: ms('hhu') })).toMatchObject({ allowed: false, rule: 'V8' });
    expect(evaluateReplace({ name: 'demo', member: 'demo-9', status: ms('hhh') }).message).toMatch(/not a voting member of demo \(voting: demo-0, demo-1, demo-2\)/);
    const busy = { ...ms('hhh'), lastRepair: { member: 'demo-1', oldId: 'x', reason: 'DataLost' as const, message: 'm', startedAt: 't' } };
    expect(evaluateReplace({ name: 'demo', member: 'demo-2', status: busy }).message).toMatch(/the replacement of demo-1 \(DataLost\) of demo is in progress/);
  });
  it('V9: only with quorum lost, from a member that answers; W6 names what is discarded beyond it', () => {
    const figures = (idx: number[]) => (i: number) => (idx[i] === undefined ? {} : { raftIndex: idx[i], revision: idx[i] - 50, raftTerm: 4 });
    expect(evaluateRecover({ name: 'demo', member: 'demo-0', status: ms('hhu', figures([10, 10])) })).toMatchObject({ allowed: false, rule: 'V9' });
    const lost = ms('huu', figures([120, 130]));
    expect(recoveryProposal(lost)?.name).toBe('demo-1');
    expect(evaluateRecover({ name: 'demo', member: 'demo-1', id: '0000000000000002', status: lost })).toEqual({ allowed: true, warnings: [], bypassed: [] });
    expect(evaluateRecover({ name: 'demo', member: 'demo-0', status: lost }).warnings).toEqual(['W6: recovering demo from demo-0 (index 120, revision 70) discards what demo-1 has beyond it (index 130, revision 80)']);
    expect(evaluateRecover({ name: 'demo', member: 'demo-2', status: lost }).message).toMatch(/^V9: cannot recover demo from demo-2: it does not answer/);
  });
});
