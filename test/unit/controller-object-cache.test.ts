// The informer cache's freshness rule (controller/object-cache.ts): after the controller's own write (or a fresh
// pass's read), reads wait until the cache shows that version, a deleted object gone, or the expectation is stale.
import { V1Pod } from '@kubernetes/client-node';
import { atLeast, kinds, typedCopy, wireForm, WriteExpectations } from '../../controller/object-cache.js';

describe('listed objects in the cache', () => {
  // As client-node's list returns them: typed models whose apiVersion and kind are unset (a list's items carry
  // neither). A controller that took over from another read such objects and failed every pass before.
  const info = kinds('policy/v1beta1');
  const listed = Object.assign(new V1Pod(), {
    metadata: { name: 'demo-0', namespace: 'ns', labels: { 'etcd.k8s-operator.io/cluster': 'demo' }, resourceVersion: '7' },
    spec: { containers: [{ name: 'etcd', image: 'etcd:v3.5.16' }], nodeName: 'node-1' },
    status: { podIP: '10.244.1.5', containerStatuses: [{ name: 'etcd', ready: true, restartCount: 2, image: 'etcd', imageID: '', containerID: 'containerd://abc', started: true }] },
  });

  it('are kept in the wire form the watch delivers, with apiVersion and kind', () => {
    const w = wireForm('Pod', info.Pod, listed) as unknown as Record<string, unknown>;
    expect(w).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'demo-0', resourceVersion: '7' } });
    expect((w.status as Record<string, unknown>).podIP).toBe('10.244.1.5');
  });

  it('read back typed, each read a copy of its own', () => {
    const w = wireForm('Pod', info.Pod, listed);
    const a = typedCopy<V1Pod>(info.Pod, w);
    expect(a.spec?.nodeName).toBe('node-1');
    expect(a.status?.containerStatuses?.[0]?.restartCount).toBe(2);
    a.metadata!.labels!.changed = 'yes';
    expect(typedCopy<V1Pod>(info.Pod, w).metadata?.labels?.changed).toBeUndefined();
  });
});

describe('resourceVersion order', () => {
  it('compares etcd revisions as numbers, and anything else as not known newer', () => {
    expect(atLeast('10', '9')).toBe(true);
    expect(atLeast('9', '10')).toBe(false);
    expect(atLeast('123456789012345678901', '123456789012345678900')).toBe(true);
    expect(atLeast('abc', '1')).toBe(false);
    expect(atLeast(undefined, '1')).toBe(false);
  });
});

describe('WriteExpectations', () => {
  const now = 1_000_000;

  it('a write is seen once the cache holds that version or a newer one, and then forgotten', () => {
    const e = new WriteExpectations();
    e.expect('StatefulSet', 'ns', 'demo', '42', false, now);
    expect(e.seen('StatefulSet', 'ns', 'demo', () => '41', now)).toBe(false);
    expect(e.seen('StatefulSet', 'ns', 'demo', () => undefined, now)).toBe(false);
    expect(e.seen('StatefulSet', 'ns', 'demo', () => '43', now)).toBe(true);
    // Forgotten: an older cached version no longer holds reads back.
    expect(e.seen('StatefulSet', 'ns', 'demo', () => '1', now)).toBe(true);
  });

  it('a delete is seen when the object is gone (or shows the deleting version)', () => {
    const e = new WriteExpectations();
    e.expect('Pod', 'ns', 'demo-1', '50', true, now);
    expect(e.seen('Pod', 'ns', 'demo-1', () => '49', now)).toBe(false);
    expect(e.seen('Pod', 'ns', 'demo-1', () => undefined, now)).toBe(true);
    e.expect('Pod', 'ns', 'demo-2', '60', true, now);
    expect(e.seen('Pod', 'ns', 'demo-2', () => '60', now)).toBe(true);
  });

  it('a list waits for every write of its kind in the namespace, not other kinds or namespaces', () => {
    const e = new WriteExpectations();
    e.expect('Pod', 'ns', 'demo-0', '10', false, now);
    e.expect('Pod', 'ns', 'demo-1', '11', false, now);
    e.expect('Pod', 'other', 'x', '99', false, now);
    e.expect('ConfigMap', 'ns', 'demo-members', '99', false, now);
    const cached: Record<string, string> = { 'demo-0': '10', 'demo-1': '5' };
    expect(e.seen('Pod', 'ns', undefined, (n) => cached[n], now)).toBe(false);
    cached['demo-1'] = '12';
    expect(e.seen('Pod', 'ns', undefined, (n) => cached[n], now)).toBe(true);
    expect(e.seen('Pod', 'other', undefined, () => '1', now)).toBe(false);
  });

  it('an expectation the watch never meets stops counting after a minute', () => {
    const e = new WriteExpectations();
    e.expect('Service', 'ns', 'demo', '7', false, now);
    expect(e.seen('Service', 'ns', 'demo', () => undefined, now + 59_000)).toBe(false);
    expect(e.seen('Service', 'ns', 'demo', () => undefined, now + 61_000)).toBe(true);
  });
});
