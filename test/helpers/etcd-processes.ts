// Real etcd clusters as plain processes on loopback, for integration tests (no Kubernetes).
// Each member gets two free ports on 127.0.0.1 and a temporary data dir; stop() leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdProcessMember {
  name: string;
  peerURL: string;
  clientURL: string;
  dataDir: string;
  /** The running process; undefined while killed. */
  proc?: ChildProcess;
  /** Output of the current process, for failure messages. */
  log: string[];
}

export interface InitialConfig {
  initialCluster: string;
  state: 'new' | 'existing';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when GET /health answers {"health":"true"} (the member has a leader and serves). */
export async function isHealthy(clientURL: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientURL}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

/** Start an etcd process for m: its recent output kept in m.log, m.proc cleared when it exits. */
export function spawnEtcd(bin: string, args: string[], m: { proc?: ChildProcess; log: string[] }): void {
  m.log = [];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    m.log.push(chunk.toString());
    if (m.log.length > 200) m.log.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.once('exit', () => {
    if (m.proc === proc) m.proc = undefined;
  });
  m.proc = proc;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export class EtcdProcessCluster {
  readonly members = new Map<string, EtcdProcessMember>();
  private readonly root = mkdtempSync(join(tmpdir(), 'etcdop-it-'));
  private readonly token = `it-${process.pid}-${Date.now()}`;
  private stopped = false;

  /** Client URLs of the members whose process runs. */
  clientURLs(): string[] {
    return [...this.members.values()].filter((m) => m.proc).map((m) => m.clientURL);
  }

  member(name: string): EtcdProcessMember {
    const m = this.members.get(name);
    if (!m) throw new Error(`no member ${name} in this test cluster (have: ${[...this.members.keys()].join(', ')})`);
    return m;
  }

  /** Reserve ports and a data dir for a member without starting it (memberAdd needs its peer URL first). */
  async define(name: string): Promise<EtcdProcessMember> {
    const [peer, client] = [await freePort(), await freePort()];
    const m: EtcdProcessMember = {
      name,
      peerURL: `http://127.0.0.1:${peer}`,
      clientURL: `http://127.0.0.1:${client}`,
      dataDir: join(this.root, name),
      log: [],
    };
    this.members.set(name, m);
    return m;
  }

  /** Start a defined member; with no config it rejoins from its data dir. */
  start(name: string, init?: InitialConfig): void {
    const m = this.member(name);
    if (m.proc) throw new Error(`member ${name} already runs`);
    const args = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-peer-urls=${m.peerURL}`,
      `--listen-client-urls=${m.clientURL}`,
      `--advertise-client-urls=${m.clientURL}`,
      `--initial-advertise-peer-urls=${m.peerURL}`,
      `--initial-cluster-token=${this.token}`,
      // Small timings keep elections and tests fast on a shared 2-core machine.
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--log-level=warn',
    ];
    if (init) args.push(`--initial-cluster=${init.initialCluster}`, `--initial-cluster-state=${init.state}`);
    spawnEtcd(ETCD_BIN, args, m);
  }

  /** SIGKILL a member's process and wait until it is gone. */
  async kill(name: string): Promise<void> {
    const m = this.member(name);
    const proc = m.proc;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await exited;
    m.proc = undefined;
  }

  /** Kill and start again on the same data dir: the member rejoins as itself. */
  async restart(name: string): Promise<void> {
    await this.kill(name);
    this.start(name);
    await this.waitHealthy([name]);
  }

  async waitHealthy(names = [...this.members.keys()], timeoutMs = 20_000): Promise<void> {
    for (const name of names) {
      const m = this.member(name);
      await waitFor(`etcd member ${name} (${m.clientURL}) healthy\n${m.log.join('')}`, () => isHealthy(m.clientURL), timeoutMs);
    }
  }

  /**
   * Start the process of a member already added to etcd (memberAdd, e.g. as a learner):
   * initial-cluster-state=existing with the given current members plus itself.
   */
  async join(name: string, currentMembers: { name: string; peerURL: string }[]): Promise<EtcdProcessMember> {
    const m = this.members.get(name) ?? (await this.define(name));
    const all = [...currentMembers.filter((c) => c.name !== name), { name, peerURL: m.peerURL }];
    this.start(name, { initialCluster: all.map((c) => `${c.name}=${c.peerURL}`).join(','), state: 'existing' });
    return m;
  }

  /** Kill every process and remove every data dir. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.members.keys()].map((n) => this.kill(n)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Start an n-member cluster (members m0..m{n-1}) and wait until every member is healthy. */
export async function startEtcdCluster(n: number, prefix = 'm'): Promise<EtcdProcessCluster> {
  const cluster = new EtcdProcessCluster();
  try {
    const defined: EtcdProcessMember[] = [];
    for (let i = 0; i < n; i++) defined.push(await cluster.define(`${prefix}${i}`));
    const initialCluster = defined.map((m) => `${m.name}=${m.peerURL}`).join(',');
    for (const m of defined) cluster.start(m.name, { initialCluster, state: 'new' });
    await cluster.waitHealthy();
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
