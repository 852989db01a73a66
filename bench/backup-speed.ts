// `make bench` (or alone: `node dist/bench/backup-speed.js` after `make build`): what bin/etcd-backup costs
// against etcd's own tools doing the same by hand, on one real etcd 3.5.16 member holding 50 MiB, then 500 MiB,
// of 100 KiB values. (a) snapshot: `etcd-backup snapshot` against `etcdctl snapshot save` from the same member;
// (b) restore: `etcd-backup verify` + `etcdutl snapshot restore` + `etcd-backup finish` (the restore Job)
// against `etcdutl snapshot restore` alone, of the same file. ROUNDS runs each, alternating which goes first;
// medians, the ratio ours / by hand, and etcd-backup's peak RSS. Everything lives in one temp dir, removed after.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { SnapshotRecord } from '../core/api.js';
import { ROOT, run, until } from './lib-bench-cluster.js';
import { median, seconds } from './lib-operator-bench.js';

const ETCD_DIR = process.env.ETCDOP_BENCH_ETCD_DIR ?? '/root/.cache/etcd-k8s-operator/etcd-3.5.16/bin';
const SIZES_MIB = [50, 500];
const VALUE_BYTES = 100 * 1024;
const ROUNDS = Number(process.env.ETCDOP_BENCH_BACKUP_ROUNDS ?? 3);
const PUTS_IN_FLIGHT = 8;
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** Without GNU time, etcd-backup reports its own peak RSS (KiB) as it exits, into $RSS_OUT. */
const RSS_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)));",
)}`;

const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

/** A loopback port free right now (the kernel's pick). */
function freePort(): Promise<number> {
  const srv = createServer();
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as AddressInfo;
    srv.close(() => resolve(port));
  }));
}

interface Timed { ms: number; rssKiB?: number }

/** Runs a command to completion; its wall time and, where it can be read, its peak RSS. */
async function timed(argv: string[], tmp: string, ours = false): Promise<Timed> {
  const rssFile = join(tmp, 'rss');
  rmSync(rssFile, { force: true });
  const [cmd, ...args] = GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv]
    : ours ? [process.execPath, '--import', RSS_PRELOAD, join(ROOT, 'dist/backup/main.js'), ...argv.slice(1)] : argv;
  const start = performance.now();
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ETCDCTL_API: '3', RSS_OUT: rssFile, BACKUP_TERMINATION_LOG: join(tmp, 'termination-log') } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
  const ms = performance.now() - start;
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return { ms, rssKiB: existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim()) : undefined };
}

interface Member { proc: ChildProcess; clientURL: string; peerURL: string; log: string[] }

async function startMember(dir: string): Promise<Member> {
  const [client, peer] = [await freePort(), await freePort()];
  const clientURL = `http://127.0.0.1:${client}`;
  const peerURL = `http://127.0.0.1:${peer}`;
  const proc = spawn(join(ETCD_DIR, 'etcd'), [
    '--name=m0', `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=${clientURL}`, `--advertise-client-urls=${clientURL}`,
    `--listen-peer-urls=${peerURL}`, `--initial-advertise-peer-urls=${peerURL}`, `--initial-cluster=m0=${peerURL}`,
    // Headroom over the default 2 GiB: the file grows past the values' size (bbolt's pages, free lists).
    '--quota-backend-bytes=4294967296', '--log-level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const m: Member = { proc, clientURL, peerURL, log: [] };
  proc.stderr!.on('data', (d: Buffer) => { m.log.push(d.toString()); m.log.splice(0, m.log.length - 50); });
  const probe = new Etcd3({ hosts: [clientURL] });
  try {
    await until(async () => !!(await probe.maintenance.status()), () => `etcd at ${clientURL}\n${m.log.join('')}`, 30_000);
  } finally {
    probe.close();
  }
  return m;
}

/** Puts 100 KiB values until the store holds `bytes` of them; keys continue from `from`. */
async function fill(clientURL: string, from: number, bytes: number): Promise<number> {
  const etcd = new Etcd3({ hosts: [clientURL] });
  const value = randomBytes(VALUE_BYTES);
  const to = Math.ceil(bytes / VALUE_BYTES);
  let next = from;
  try {
    await Promise.all(Array.from({ length: PUTS_IN_FLIGHT }, async () => {
      while (next < to) await etcd.put(`bench/${String(next++).padStart(6, '0')}`).value(value);
    }));
  } finally {
    etcd.close();
  }
  return to;
}

interface Figures { ours: Timed[]; byHand: Timed[] }

/** ROUNDS of each, alternating which goes first; `reset` runs before every run, untimed. */
async function compare(ours: () => Promise<Timed>, byHand: () => Promise<Timed>, reset: () => void): Promise<Figures> {
  const f: Figures = { ours: [], byHand: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const pair: [Timed[], () => Promise<Timed>][] = [[f.ours, ours], [f.byHand, byHand]];
    for (const [into, fn] of round % 2 ? pair.reverse() : pair) {
      reset();
      into.push(await fn());
    }
  }
  return f;
}

function print(what: string, oursName: string, byHandName: string, f: Figures): void {
  const ours = median(f.ours.map((t) => t.ms));
  const byHand = median(f.byHand.map((t) => t.ms));
  const rss = f.ours.map((t) => t.rssKiB).filter((k): k is number => k !== undefined);
  const handRss = f.byHand.map((t) => t.rssKiB).filter((k): k is number => k !== undefined);
  console.log(`  ${what}: ${oursName} ${seconds(ours)} s, ${byHandName} ${seconds(byHand)} s, ratio ${(ours / byHand).toFixed(2)}x`
    + ` (runs: ${f.ours.map((t) => seconds(t.ms)).join(' ')} vs ${f.byHand.map((t) => seconds(t.ms)).join(' ')} s;`
    + ` peak RSS ${rss.length ? `${mib(Math.max(...rss) * 1024)} MiB` : 'n/a'} vs ${handRss.length ? `${mib(Math.max(...handRss) * 1024)} MiB` : 'n/a'})`);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'etcdop-bench-backup-'));
  let member: Member | undefined;
  try {
    member = await startMember(tmp);
    const { clientURL, peerURL } = member;
    const backups = join(tmp, 'backups');
    mkdirSync(backups);
    const byHandFile = join(tmp, 'by-hand.db');
    const ctl = join(ETCD_DIR, 'etcdctl');
    const etcdutl = join(ETCD_DIR, 'etcdutl');
    const backup = join(ROOT, 'bin/etcd-backup');
    const version = (await run(join(ETCD_DIR, 'etcd'), ['--version'])).stdout.split('\n')[0];
    console.log(`backup-speed: ${version}, one member, values of ${VALUE_BYTES / 1024} KiB, median of ${ROUNDS} runs (ours / by hand);`
      + ` peak RSS from ${GNU_TIME ? 'GNU time' : "Node's resourceUsage (etcd-backup only)"}`);
    let keys = 0;
    for (const size of SIZES_MIB) {
      keys = await fill(clientURL, keys, size * 1024 ** 2);
      const snap = await compare(
        () => timed([backup, 'snapshot', '--endpoint', clientURL, '--dir', backups, '--cluster', 'bench', '--member', 'm0', '--keep', '1'], tmp, true),
        () => timed([ctl, `--endpoints=${clientURL}`, 'snapshot', 'save', byHandFile], tmp),
        () => rmSync(byHandFile, { force: true }),
      );
      // --keep 1 leaves the newest snapshot etcd-backup took, with its record: what both restores read.
      const record = JSON.parse(readFileSync(join(backups, readdirSync(backups).find((f) => f.endsWith('.db.json'))!), 'utf8')) as SnapshotRecord;
      console.log(` ${size} MiB of values (${keys} keys), snapshot file ${mib(record.sizeBytes)} MiB at revision ${record.revision}`);
      print('snapshot', 'etcd-backup snapshot', 'etcdctl snapshot save', snap);

      const data = join(tmp, 'restored');
      const staging = join(data, '.restore');
      const restoreArgs = (dir: string) => ['snapshot', 'restore', join(backups, record.name), '--name', 'm0', '--initial-cluster', `m0=${peerURL}`,
        '--initial-advertise-peer-urls', peerURL, '--initial-cluster-token', 'bench', '--data-dir', dir];
      const paths = ['--source', backups, '--snapshot', record.name, '--data', data, '--staging', staging];
      const restore = await compare(
        async () => {
          const verify = await timed([backup, 'verify', ...paths], tmp, true);
          const tool = await timed([etcdutl, ...restoreArgs(staging)], tmp);
          const finish = await timed([backup, 'finish', ...paths], tmp, true);
          return { ms: verify.ms + tool.ms + finish.ms, rssKiB: Math.max(verify.rssKiB ?? 0, finish.rssKiB ?? 0) || undefined };
        },
        () => timed([etcdutl, ...restoreArgs(data)], tmp),
        () => { rmSync(data, { recursive: true, force: true }); mkdirSync(data, { mode: 0o700 }); },
      );
      print('restore', 'verify + etcdutl + finish', 'etcdutl snapshot restore', restore);
    }
  } finally {
    member?.proc.kill('SIGKILL');
    if (member?.proc.exitCode === null) await new Promise((r) => member!.proc.once('exit', r));
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(`backup-speed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
