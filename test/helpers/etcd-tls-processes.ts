// Real etcd members over mutual TLS as plain processes on loopback, each started the way a pod starts it:
// `etcd --config-file` only, the TLS lines from core/tls-config.ts, certificates in the layout the kubelet
// gives a mounted Secret (files -> ..data -> timestamped dir), so a rotation is the kubelet's symlink swap.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSecretDir } from '../../bench/lib-tls-fixture.js';
import { memberTlsConfig } from '../../core/tls-config.js';
import type { IssuedPem } from '../../core/tls-objects.js';
import { freePort, isHealthy, spawnEtcd, waitFor } from './etcd-processes.js';

export interface TlsMember {
  name: string;
  peerURL: string;
  clientURL: string;
  /** Plain-HTTP /health and /metrics. */
  metricsURL: string;
  /** The member's mounted Secret: tls.crt, tls.key, ca.crt. */
  certDir: string;
  proc?: ChildProcess;
  log: string[];
}

export class TlsEtcdCluster {
  readonly members = new Map<string, TlsMember>();
  readonly root = mkdtempSync(join(tmpdir(), 'etcdop-tls-'));
  private readonly token = `tls-${process.pid}-${Date.now()}`;
  private generation = 0;

  constructor(readonly bin: string) {}

  member(name: string): TlsMember {
    const m = this.members.get(name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  /** Reserve ports and mount the member's certificate (memberAdd needs the peer URL before the start). */
  async define(name: string, issued: IssuedPem): Promise<TlsMember> {
    const [peer, client, metrics] = [await freePort(), await freePort(), await freePort()];
    const m: TlsMember = {
      name,
      peerURL: `https://127.0.0.1:${peer}`,
      clientURL: `https://127.0.0.1:${client}`,
      metricsURL: `http://127.0.0.1:${metrics}`,
      certDir: join(this.root, name, 'tls'),
      log: [],
    };
    this.members.set(name, m);
    this.mount(name, issued);
    return m;
  }

  /** Write (or replace, by the ..data swap) the member's Secret volume. */
  mount(name: string, issued: IssuedPem): void {
    this.mountFiles(this.member(name).certDir, { 'tls.crt': issued.certPem, 'tls.key': issued.keyPem, 'ca.crt': issued.caPem });
  }

  /** Files in the kubelet's Secret-volume layout; a second call swaps them all at once. */
  mountFiles(dir: string, files: Record<string, string>): void {
    writeSecretDir(dir, Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])), ++this.generation);
  }

  start(name: string, initialCluster: string, state: 'new' | 'existing'): void {
    const m = this.member(name);
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const config = [
      `name: '${name}'`,
      `data-dir: '${join(dir, 'data')}'`,
      `listen-peer-urls: '${m.peerURL}'`,
      `listen-client-urls: '${m.clientURL}'`,
      `advertise-client-urls: '${m.clientURL}'`,
      `initial-advertise-peer-urls: '${m.peerURL}'`,
      `initial-cluster: '${initialCluster}'`,
      `initial-cluster-state: '${state}'`,
      `initial-cluster-token: '${this.token}'`,
      // Small timings keep elections fast on a shared machine.
      'heartbeat-interval: 50',
      'election-timeout: 500',
      // 3.4 started from a config file logs with the deprecated capnslog unless told otherwise.
      'logger: zap',
      'log-level: warn',
      ...memberTlsConfig(true, { certDir: m.certDir, metricsURL: m.metricsURL }).lines,
    ];
    writeFileSync(this.configFile(name), `${config.join('\n')}\n`);
    this.spawn(name);
  }

  private configFile(name: string): string {
    return join(this.root, name, 'etcd.yaml');
  }

  private spawn(name: string): void {
    spawnEtcd(this.bin, [`--config-file=${this.configFile(name)}`], this.member(name));
  }

  /** Healthy as the kubelet would probe it: plain HTTP /health on the metrics port. */
  async waitHealthy(name: string, timeoutMs = 20_000): Promise<void> {
    const m = this.member(name);
    await waitFor(`etcd member ${name} healthy\n${m.log.join('')}`, () => isHealthy(m.metricsURL), timeoutMs);
  }

  async kill(name: string): Promise<void> {
    const proc = this.member(name).proc;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await exited;
  }

  /** Kill and start again from the same config file and data dir: it rejoins as itself. */
  async restart(name: string): Promise<void> {
    await this.kill(name);
    this.spawn(name);
    await this.waitHealthy(name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members.keys()].map((n) => this.kill(n)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
