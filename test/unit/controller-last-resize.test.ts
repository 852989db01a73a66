// status.lastResize over sequences of controller passes (SPEC.md, "Truthful record"). Each pass derives status
// the way the reconciler does (requests read only when a resize begins) and stores it the way the API server
// does: a JSON merge patch (core/merge-patch.ts) applied to what is stored. That is where the old bug lived: a
// merge patch merges nested objects, so a finished resize's completedAt and requestedBy stayed in the next one.
import type { EtcdClusterStatus, LastResize } from '../../core/api.js';
import { mergePatchFor } from '../../core/merge-patch.js';
import type { Observed, Step } from '../../core/reconcile-step.js';
import { RESIZE_REQUESTED_REASON, resizeRecordAnnotations, type ResizeEventLike, type ResizeRecord } from '../../core/resize-record.js';
import { deriveStatus, resizeBegins, statusEqual } from '../../core/status-derive.js';
import { member, NAME, NS } from './controller-fixtures.js';

/** RFC 7386 as the API server applies it: null deletes, objects merge, anything else replaces. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

const T0 = Date.parse('2026-11-24T18:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** What the controller sees on one pass: spec.size, etcd's voting members (and a learner), the time. */
interface Pass { spec: number; voting: number; learner?: boolean; t: number }

/** The step the controller would take from there (enough to tell progress from rest). */
function stepFor(p: Pass): Step {
  if (p.learner) return { kind: 'promote', member: member(p.voting, { isLearner: true }) };
  if (p.voting < p.spec) return { kind: 'add-learner', name: `${NAME}-${p.voting}`, ordinal: p.voting, peerURL: '' };
  if (p.voting > p.spec) return { kind: 'remove-member', member: member(p.voting - 1), reason: 'ScaleDown', message: '' };
  return { kind: 'idle' };
}

class Cluster {
  stored: EtcdClusterStatus | undefined;
  readonly events: ResizeEventLike[] = [];
  /** Event lists the controller made (it reads them only when a resize begins). */
  lookups = 0;

  /** The webhook accepted a resize and wrote its ResizeRequested Event (either path writes the same record). */
  request(record: ResizeRecord): void {
    this.events.push({ reason: RESIZE_REQUESTED_REASON, metadata: { annotations: resizeRecordAnnotations(record) } });
  }

  /** One reconcile pass (a fresh controller each time: nothing is remembered but what is stored). */
  pass(p: Pass): EtcdClusterStatus {
    const members = Array.from({ length: p.voting }, (_, k) => member(k));
    if (p.learner) members.push(member(p.voting, { isLearner: true }));
    const o: Observed = {
      now: T0 + p.t * 1000,
      cluster: { metadata: { name: NAME, namespace: NS, uid: 'u', generation: 1 }, spec: { size: p.spec }, status: this.stored },
      etcd: { members, authoritative: true, leaderId: members[0].id },
      servicesPresent: true,
      statefulSet: { replicas: members.length },
      pods: members.map((m) => ({ name: m.name, ordinal: m.ordinal!, ready: true, deleting: false, serving: !m.isLearner })),
      pvcs: [],
    };
    let requests: ResizeEventLike[] | undefined;
    if (resizeBegins(o.cluster)) {
      this.lookups++;
      requests = [...this.events];
    }
    const next = deriveStatus({ observed: o, step: stepFor(p) }, at(p.t));
    const withRequests = deriveStatus({ observed: o, step: stepFor(p), requests }, at(p.t));
    // Requests change nothing on a pass that begins no resize.
    if (!requests) expect(withRequests).toEqual(next);
    if (!statusEqual(this.stored, withRequests)) this.stored = applyMergePatch(this.stored, mergePatchFor(this.stored ?? {}, withRequests)) as EtcdClusterStatus;
    return this.stored!;
  }

  /** Passes from `voting` to `to` one member at a time (a learner, then its promotion), `dt` seconds apart, from t. */
  run(spec: number, voting: number, to: number, t: number, dt = 1): number {
    let v = voting;
    while (v !== to) {
      if (v < to) {
        this.pass({ spec, voting: v, t });
        t += dt;
        this.pass({ spec, voting: v, learner: true, t });
        t += dt;
        v++;
      } else {
        this.pass({ spec, voting: v, t });
        t += dt;
        v--;
      }
    }
    this.pass({ spec, voting: v, t });
    return t;
  }

  get last(): LastResize | undefined {
    return this.stored?.lastResize;
  }
}

/** A cluster created at 1 member and Running. */
function running1(): Cluster {
  const c = new Cluster();
  c.pass({ spec: 1, voting: 1, t: 0 });
  expect(c.stored).toMatchObject({ phase: 'Running', size: 1 });
  expect(c.last).toBeUndefined();
  return c;
}

function expectOrdered(r: LastResize | undefined): void {
  expect(r?.startedAt).toBeDefined();
  expect(r?.completedAt).toBeDefined();
  expect(Date.parse(r!.completedAt!)).toBeGreaterThanOrEqual(Date.parse(r!.startedAt!));
}

describe('status.lastResize over sequences of passes', () => {
  it('consecutive resizes 1 -> 3 (plugin), 3 -> 5 (kubectl scale), 5 -> 3 (patch): each its own record, no field of the one before', () => {
    const c = running1();
    c.request({ from: 1, to: 3, requestedBy: 'alice', requestedAt: at(10) });
    c.pass({ spec: 3, voting: 1, t: 10.2 });
    expect(c.last).toEqual({ from: 1, to: 3, requestedBy: 'alice', startedAt: at(10) });
    let t = c.run(3, 1, 3, 11);
    expect(c.last).toEqual({ from: 1, to: 3, requestedBy: 'alice', startedAt: at(10), completedAt: at(t) });

    c.request({ from: 3, to: 5, requestedBy: 'bob', requestedAt: at(100) });
    c.pass({ spec: 5, voting: 3, t: 100.1 });
    // Running: no completedAt (the old one must not survive the merge), bob not alice.
    expect(c.last).toEqual({ from: 3, to: 5, requestedBy: 'bob', startedAt: at(100) });
    c.pass({ spec: 5, voting: 3, learner: true, t: 101 });
    c.pass({ spec: 5, voting: 4, t: 102 });
    expect(c.last).toEqual({ from: 3, to: 5, requestedBy: 'bob', startedAt: at(100) });
    t = c.run(5, 4, 5, 103);
    expect(c.last).toEqual({ from: 3, to: 5, requestedBy: 'bob', startedAt: at(100), completedAt: at(t) });
    expectOrdered(c.last);

    c.request({ from: 5, to: 3, requestedBy: 'carol', requestedAt: at(200) });
    t = c.run(3, 5, 3, 200.05);
    expect(c.last).toEqual({ from: 5, to: 3, requestedBy: 'carol', startedAt: at(200), completedAt: at(t) });
    expectOrdered(c.last);
    // Each resize read the Events once, when it began.
    expect(c.lookups).toBe(3);
  });

  it('a resize reversed mid-way begins a new record from where the first got to', () => {
    const c = running1();
    c.run(3, 1, 3, 2);
    c.request({ from: 3, to: 5, requestedBy: 'alice', requestedAt: at(50) });
    c.pass({ spec: 5, voting: 3, t: 50.1 });
    c.pass({ spec: 5, voting: 3, learner: true, t: 51 });
    c.pass({ spec: 5, voting: 4, t: 52 });
    expect(c.last).toEqual({ from: 3, to: 5, requestedBy: 'alice', startedAt: at(50) });
    c.request({ from: 5, to: 3, requestedBy: 'bob', requestedAt: at(53) });
    c.pass({ spec: 3, voting: 4, t: 53.1 });
    expect(c.last).toEqual({ from: 4, to: 3, requestedBy: 'bob', startedAt: at(53) });
    const t = c.run(3, 4, 3, 54);
    expect(c.last).toEqual({ from: 4, to: 3, requestedBy: 'bob', startedAt: at(53), completedAt: at(t) });
  });

  it('a reversal to where the cluster already is completes at once; back to the size before is no resize', () => {
    const c = running1();
    c.run(3, 1, 3, 2);
    const before = c.last;
    // 3 -> 5 and back to 3 between two passes: the controller never saw 5, membership never changed.
    c.request({ from: 3, to: 5, requestedBy: 'alice', requestedAt: at(60) });
    c.request({ from: 5, to: 3, requestedBy: 'alice', requestedAt: at(60.5) });
    c.pass({ spec: 3, voting: 3, t: 61 });
    expect(c.last).toEqual(before);
    // Growing, then "stop where it is" at 4.
    c.request({ from: 3, to: 5, requestedBy: 'bob', requestedAt: at(70) });
    c.pass({ spec: 5, voting: 3, t: 70.1 });
    c.pass({ spec: 5, voting: 3, learner: true, t: 71 });
    c.request({ from: 5, to: 4, requestedBy: 'bob', requestedAt: at(72) });
    c.pass({ spec: 4, voting: 4, t: 72.1 });
    expect(c.last).toEqual({ from: 4, to: 4, requestedBy: 'bob', startedAt: at(72), completedAt: at(72.1) });
  });

  it('a controller restart mid-resize (or before it saw the resize) carries on with the same record', () => {
    const c = running1();
    c.run(3, 1, 3, 2);
    // The resize is asked for while no controller runs; the first pass after the restart begins it.
    c.request({ from: 3, to: 5, requestedBy: 'alice', requestedAt: at(80) });
    c.pass({ spec: 5, voting: 3, t: 140 });
    expect(c.last).toEqual({ from: 3, to: 5, requestedBy: 'alice', startedAt: at(80) });
    c.pass({ spec: 5, voting: 3, learner: true, t: 141 });
    // Killed and restarted: the same pass again from the stored status changes nothing.
    const stored = structuredClone(c.stored);
    c.pass({ spec: 5, voting: 3, learner: true, t: 150 });
    expect(c.last).toEqual(stored!.lastResize);
    const t = c.run(5, 4, 5, 151);
    expect(c.last).toEqual({ from: 3, to: 5, requestedBy: 'alice', startedAt: at(80), completedAt: at(t) });
    expect(c.lookups).toBe(2);
  });

  it('/scale and main-resource requests interleaved; an old request for the same size never stands in for a new one', () => {
    const c = running1();
    c.request({ from: 1, to: 3, requestedBy: 'scaler', requestedAt: at(10) });
    c.run(3, 1, 3, 10.1);
    c.request({ from: 3, to: 5, requestedBy: 'patcher', requestedAt: at(20) });
    c.run(5, 3, 5, 20.1);
    c.request({ from: 5, to: 3, requestedBy: 'scaler', requestedAt: at(30) });
    c.run(3, 5, 3, 30.1);
    expect(c.last).toMatchObject({ from: 5, to: 3, requestedBy: 'scaler', startedAt: at(30) });
    // 3 -> 5 again, and this time its Event was never written: not "patcher" (that request was for the last 5).
    const t = c.run(5, 3, 5, 40);
    expect(c.last).toEqual({ from: 3, to: 5, startedAt: at(40), completedAt: at(t) });
  });

  it('no request at all (no webhook): from etcd, started when first seen, nobody named', () => {
    const c = running1();
    const t = c.run(3, 1, 3, 5);
    expect(c.last).toEqual({ from: 1, to: 3, startedAt: at(5), completedAt: at(t) });
  });

  it("the webhook's clock ahead of the controller's: completedAt is never before startedAt", () => {
    const c = running1();
    c.request({ from: 1, to: 2, requestedBy: 'alice', requestedAt: at(30) });
    c.pass({ spec: 2, voting: 1, t: 10 });
    c.pass({ spec: 2, voting: 1, learner: true, t: 11 });
    c.pass({ spec: 2, voting: 2, t: 12 });
    expect(c.last).toEqual({ from: 1, to: 2, requestedBy: 'alice', startedAt: at(30), completedAt: at(30) });
  });

  it('creating the cluster (growing to its first size) is not a resize', () => {
    const c = new Cluster();
    c.pass({ spec: 3, voting: 1, t: 0 });
    c.pass({ spec: 3, voting: 1, learner: true, t: 1 });
    c.pass({ spec: 3, voting: 2, t: 2 });
    expect(c.last).toBeUndefined();
    expect(c.lookups).toBe(0);
  });
});
