// The membership operations the controller makes, through its own etcd module, against real etcd 3.4 processes.
import { EtcdAdmin, isLearnerNotInSync, isTransientRefusal } from '../../controller/etcd-admin.js';
import { EtcdProcessCluster, startEtcdCluster, waitFor } from '../helpers/etcd-processes.js';

const admin = new EtcdAdmin({ timeoutMs: 2000 });

/** Retry an etcd call the way the controller's short requeue does, counting the refusals. */
async function retryRefused<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<{ value: T; refusals: string[] }> {
  const refusals: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return { value: await fn(), refusals };
    } catch (err) {
      if (!isTransientRefusal(err) || Date.now() > deadline) throw err;
      refusals.push((err as Error).message);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

describe.each([1, 3, 5])('membership changes on a %i-member etcd cluster', (n) => {
  let cluster: EtcdProcessCluster;

  beforeAll(async () => {
    cluster = await startEtcdCluster(n);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const observe = () => admin.observe([...cluster.members.values()].filter((m) => m.proc).map((m) => m.clientURL));
  const endpointOf = (id: string, view: Awaited<ReturnType<typeof observe>>) => view.status.get(id)!.endpoint;

  it('observes every member, one leader, all healthy, from the leader', async () => {
    const view = await observe();
    expect(view.authoritative).toBe(true);
    expect(view.members!.map((m) => m.name).sort()).toEqual([...cluster.members.keys()].sort());
    expect(view.members!.every((m) => !m.isLearner && /^[0-9a-f]{16}$/.test(m.id))).toBe(true);
    expect(view.status.size).toBe(n);
    expect(view.members!.map((m) => m.id)).toContain(view.leaderId);
  });

  it('adds a learner, is refused promotion until it catches up, then promotes it', async () => {
    const before = await observe();
    const joiner = await cluster.define(`m${n}`);
    const { value: learner } = await retryRefused(() => admin.addLearner(endpointOf(before.leaderId!, before), joiner.peerURL));
    expect(learner.isLearner).toBe(true);

    const listed = await observe();
    expect(listed.members!.find((m) => m.id === learner.id)).toMatchObject({ isLearner: true, name: '' });

    // Not started yet: etcd refuses the promotion and the controller must see it as "retry soon".
    const refused = await admin.promote(endpointOf(listed.leaderId!, listed), learner.id).catch((e: unknown) => e);
    expect(isLearnerNotInSync(refused)).toBe(true);

    await cluster.join(joiner.name, listed.members!.map((m) => ({ name: m.name || joiner.name, peerURL: m.peerURLs[0] })));
    await retryRefused(async () => {
      const v = await observe();
      await admin.promote(endpointOf(v.leaderId!, v), learner.id);
    });
    const after = await observe();
    expect(after.members!.filter((m) => !m.isLearner)).toHaveLength(n + 1);
    expect(after.members!.find((m) => m.id === learner.id)).toMatchObject({ isLearner: false, name: joiner.name });
  });

  it('moves leadership to a chosen member', async () => {
    const view = await observe();
    const target = view.members!.find((m) => m.id !== view.leaderId)!;
    await retryRefused(() => admin.moveLeader(endpointOf(view.leaderId!, view), target.id));
    await waitFor('the new leader to be seen', async () => (await observe()).leaderId === target.id, 10_000);
  });

  it('removes a member (leadership moved off it first) and the rest keep serving', async () => {
    let view = await observe();
    const victim = view.members!.find((m) => m.name === `m${n}`)!;
    if (view.leaderId === victim.id) {
      const other = view.members!.find((m) => m.id !== victim.id)!;
      await retryRefused(() => admin.moveLeader(endpointOf(view.leaderId!, view), other.id));
      await waitFor('leader off the victim', async () => (await observe()).leaderId !== victim.id, 10_000);
      view = await observe();
    }
    await retryRefused(() => admin.remove(endpointOf(view.leaderId!, view), victim.id));
    await cluster.kill(victim.name);
    const after = await observe();
    expect(after.authoritative).toBe(true);
    expect(after.members!.map((m) => m.id)).not.toContain(victim.id);
    expect(after.members!).toHaveLength(n);
  });

  it('reports an unknown member list (not an empty one) when no member answers', async () => {
    const view = await admin.observe(['http://127.0.0.1:1']);
    expect(view.members).toBeUndefined();
    expect(view.authoritative).toBe(false);
    expect(view.problem).toMatch(/no etcd member answered/);
  });
});

describe('the loopback etcd helper', () => {
  it('restarts a killed member on its data dir as the same member and cleans up everything', async () => {
    const cluster = await startEtcdCluster(3);
    const { existsSync } = await import('node:fs');
    const dirs = [...cluster.members.values()].map((m) => m.dataDir);
    try {
      const before = await admin.observe(cluster.clientURLs());
      const m1 = before.members!.find((m) => m.name === 'm1')!;
      await cluster.kill('m1');
      expect(cluster.clientURLs()).toHaveLength(2);
      await cluster.restart('m1');
      const after = await admin.observe(cluster.clientURLs());
      expect(after.members!.find((m) => m.name === 'm1')!.id).toBe(m1.id);
      expect(after.status.get(m1.id)).toBeDefined();
    } finally {
      const procs = [...cluster.members.values()].map((m) => m.proc!);
      await cluster.stop();
      expect(procs.every((p) => p.exitCode !== null || p.signalCode !== null)).toBe(true);
      expect(dirs.some((d) => existsSync(d))).toBe(false);
    }
  });
});
