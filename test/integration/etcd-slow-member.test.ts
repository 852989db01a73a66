// A slow member is not an unhealthy one: EtcdAdmin.observe asks a member that was healthy and missed its
// deadline once more with twice the time, against real etcd behind a loopback proxy that holds each
// connection's first answer; a member not healthy before is not waited for twice.
import net from 'node:net';
import { EtcdAdmin } from '../../controller/etcd-admin.js';
import { EtcdProcessCluster, startEtcdCluster } from '../helpers/etcd-processes.js';

const DEADLINE_MS = 800;
const admin = new EtcdAdmin({ timeoutMs: DEADLINE_MS });

/** Forwards to target, holding the server's first bytes on each connection for holdMs (a slow node). */
function slowProxy(target: URL, holdMs: number): Promise<{ url: string; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let held = true;
    const queue: Buffer[] = [];
    setTimeout(() => {
      held = false;
      for (const b of queue) client.write(b);
    }, holdMs);
    upstream.on('data', (b: Buffer) => (held ? queue.push(b) : client.write(b)));
    client.on('data', (b: Buffer) => upstream.write(b));
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    resolve({ url: `http://127.0.0.1:${port}`, close: () => { for (const s of sockets) s.destroy(); server.close(); } });
  }));
}

let cluster: EtcdProcessCluster;
beforeAll(async () => {
  cluster = await startEtcdCluster(3, 's');
});
afterAll(async () => {
  await cluster?.stop();
});

const urls = () => [...cluster.members.values()].map((m) => m.clientURL);

it('a slow leader (answers after one deadline, within two) is seen, healthy, and its member list is the authoritative one', async () => {
  // The leader behind the proxy: its status and its member list both come late.
  const first = await admin.observe(urls());
  const leaderURL = first.status.get(first.leaderId!)!.endpoint;
  const rest = urls().filter((u) => u !== leaderURL);
  const proxy = await slowProxy(new URL(leaderURL), 1.25 * DEADLINE_MS);
  try {
    // The proxy is slow enough: one deadline is not enough for a status call through it.
    await expect(admin.status(proxy.url)).rejects.toThrow(/deadline/i);
    const view = await admin.observe([proxy.url, ...rest], new Set([proxy.url, ...rest]));
    expect(view.status.size).toBe(3);
    expect(view.status.get(first.leaderId!)?.endpoint).toBe(proxy.url);
    expect(view).toMatchObject({ authoritative: true, leaderId: first.leaderId });
    expect(view.members).toHaveLength(3);
    // Not healthy before (status showed it down): one deadline only, and it is reported not answering. Asked on
    // new connections (a controller's kept ones are past the proxy's first-answer delay).
    const impatient = await new EtcdAdmin({ timeoutMs: DEADLINE_MS }).observe([proxy.url, ...rest], new Set(rest));
    expect([...impatient.status.values()].map((s) => s.endpoint)).not.toContain(proxy.url);
  } finally {
    proxy.close();
  }
});

it('a frozen member (SIGSTOP: takes connections, never answers) is reported as not answering', async () => {
  const [victim] = [...cluster.members.values()];
  process.kill(victim.proc!.pid!, 'SIGSTOP');
  try {
    const view = await admin.observe(urls(), new Set(urls()));
    expect(view.status.size).toBe(2);
    expect([...view.status.values()].map((s) => s.endpoint)).not.toContain(victim.clientURL);
    expect(view.members).toHaveLength(3);
  } finally {
    process.kill(victim.proc!.pid!, 'SIGCONT');
  }
});
