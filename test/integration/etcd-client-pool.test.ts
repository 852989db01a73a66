// etcd clients kept between passes (controller/etcd-clients.ts), against real etcd: one connection serves many
// calls; a member restarted behind the same address is answered on the first call after (a new client is tried
// when the kept one fails); a member that is gone fails as before; a deleted cluster's clients are closed.
import { EtcdAdmin } from '../../controller/etcd-admin.js';
import { EtcdClientPool } from '../../controller/etcd-clients.js';
import { etcdClients } from '../../controller/metrics.js';
import { EtcdProcessCluster, startEtcdCluster } from '../helpers/etcd-processes.js';

let cluster: EtcdProcessCluster;
const opened = async () => (await etcdClients.get()).values.reduce((s, v) => s + v.value, 0);

beforeAll(async () => {
  cluster = await startEtcdCluster(1, 'pool');
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test('many passes, one connection: status and member list reuse the client', async () => {
  const pool = new EtcdClientPool();
  const admin = new EtcdAdmin({ timeoutMs: 1500 }, pool);
  const [endpoint] = cluster.clientURLs();
  const before = await opened();
  for (let i = 0; i < 5; i++) {
    const view = await admin.observe([endpoint!]);
    expect(view.authoritative).toBe(true);
    expect(view.members).toHaveLength(1);
  }
  expect(await opened()).toBe(before + 1);
  expect(pool.size).toBe(1);
});

test('a member restarted behind the same address answers the first call after; one gone fails, not the pool', async () => {
  const pool = new EtcdClientPool();
  const admin = new EtcdAdmin({ timeoutMs: 1500 }, pool);
  const [endpoint] = cluster.clientURLs();
  const name = [...cluster.members.keys()][0]!;
  const first = await admin.status(endpoint!);
  await cluster.restart(name);
  await cluster.waitHealthy([name]);
  // The kept connection is the old process's: the call is made again on a new client, and succeeds.
  const again = await admin.status(endpoint!);
  expect(again.id).toBe(first.id);
  await cluster.kill(name);
  await expect(admin.status(endpoint!)).rejects.toThrow();
  expect(pool.size).toBe(0);
  cluster.start(name);
  await cluster.waitHealthy([name]);
  expect((await admin.status(endpoint!)).id).toBe(first.id);
}, 60_000);

test('a deleted cluster\'s clients are closed; others stay', async () => {
  const pool = new EtcdClientPool();
  const [endpoint] = cluster.clientURLs();
  await pool.use(endpoint!, undefined, 1500, (c) => c.maintenance.status());
  await pool.use('http://demo-0.demo.ns1.svc:2379', undefined, 50, async () => 'not dialled');
  expect(pool.size).toBe(2);
  const admin = new EtcdAdmin({}, pool);
  admin.forgetCluster('ns1', 'demo');
  expect(pool.size).toBe(1);
});
