// Webhook latency at fixed request rates (autocannon, overallRate) against the etcd-webhook server and a
// bare node:https server answering "allowed" (it reads the AdmissionReview and echoes its uid, the least a
// valid answer takes), on the same machine, measured in turns over several rounds. Prints p50/p99 per rate,
// the ratios, and their spread across rounds. Target: the webhook within 1.5x of the bare server at every
// rate. A third server answering a fixed text without reading the body is measured as well, and the
// webhook's ratio to it printed, to show what reading the request costs on its own.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { issueCert, makeCa } from './lib-tls-fixture.js';
import { benchRequests } from './lib-webhook-requests.js';

const RATES = [500, 1000, 2000];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const TARGET_RATIO = 1.5;
type Target = 'static' | 'bare' | 'webhook';
const TARGETS: Target[] = ['static', 'bare', 'webhook'];

interface Sample { p50: number; p99: number; sent: number; errors: number }

async function startTarget(kind: 'real' | 'bare' | 'static', cert: string, key: string): Promise<{ child: ChildProcess; port: number }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'lib-webhook-target.js');
  // The webhook's decision log goes where the bench cannot see it, at the same cost as in a cluster.
  const child = spawn(process.execPath, [script, kind, cert, key], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LOG_FORMAT: 'json' } });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code} before listening`)));
  });
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

/** p-th percentile (0..100) of sorted values, nearest rank. */
function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(port: number, rate: number, seconds: number): Promise<Sample> {
  const times: number[] = [];
  let done!: (r: autocannon.Result) => void;
  let fail!: (err: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => { done = resolve; fail = reject; });
  const instance = autocannon({
    url: `https://127.0.0.1:${port}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: benchRequests.map((r) => ({ method: 'POST', path: r.path, body: r.body })),
    // The API server keeps a pool of connections to a webhook; 10 keep-alive connections stand for it.
    connections: 10,
    overallRate: rate,
    duration: seconds,
  }, (err, result) => (err ? fail(err) : done(result)));
  // autocannon's own histogram has 1 ms resolution; these latencies are sub-millisecond, so keep the
  // per-response times (hrtime-based, in ms) and take the percentiles here.
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) times.push(ms);
  });
  const result = await finished;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), sent: result.requests.total, errors: result.errors + result.non2xx + result.timeouts };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmt = (x: number) => x.toFixed(2);
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-bench-'));
  const ca = makeCa(dir);
  const { cert, key } = issueCert(ca, 'serving', ['localhost']);
  const servers = { static: await startTarget('static', cert, key), bare: await startTarget('bare', cert, key), webhook: await startTarget('real', cert, key) };
  const samples: Record<Target, Record<number, Sample[]>> = { static: {}, bare: {}, webhook: {} };
  let failed = false;
  try {
    for (const t of TARGETS) await measure(servers[t].port, 1000, 2); // warm-up (JIT, TLS sessions)
    for (let round = 0; round < ROUNDS; round++) {
      for (const rate of RATES) {
        // Rotate which server goes first, so drift on the machine does not favour one of them.
        const first = (round + RATES.indexOf(rate)) % TARGETS.length;
        const order = [...TARGETS.slice(first), ...TARGETS.slice(0, first)];
        for (const t of order) {
          const s = await measure(servers[t].port, rate, SECONDS);
          (samples[t][rate] ??= []).push(s);
          if (s.errors > 0) failed = true;
          console.log(`round ${round + 1}/${ROUNDS} ${String(rate).padStart(4)} req/s ${t.padEnd(7)} p50 ${fmt(s.p50)} ms  p99 ${fmt(s.p99)} ms  (${s.sent} requests, ${s.errors} errors)`);
        }
      }
    }
  } finally {
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }

  const ratios = (over: Target, rate: number, p: 'p50' | 'p99') => samples.webhook[rate].map((s, i) => s[p] / samples[over][rate][i][p]);
  const cell = (xs: number[]) => `${fmt(median(xs)).padStart(5)} (${spread(xs)})`.padEnd(18);
  const med = (t: Target, rate: number, p: 'p50' | 'p99') => fmt(median(samples[t][rate].map((s) => s[p]))).padStart(5);
  console.log(`\nmedian over ${ROUNDS} rounds of ${SECONDS} s (spread = min-max across rounds); ratios per round`);
  console.log('rate req/s | p50/p99 ms: static      bare        webhook     | webhook/bare p50   p99                | within 1.5x | webhook/static p50');
  let missed = false;
  for (const rate of RATES) {
    const r50 = ratios('bare', rate, 'p50');
    const r99 = ratios('bare', rate, 'p99');
    const ok = median(r50) <= TARGET_RATIO && median(r99) <= TARGET_RATIO;
    if (!ok) missed = true;
    const figures = TARGETS.map((t) => `${med(t, rate, 'p50')}/${med(t, rate, 'p99')}`).join(' ');
    console.log(`${String(rate).padStart(10)} | ${figures.padStart(45)} | ${cell(r50)} ${cell(r99)} | ${(ok ? 'yes' : 'NO').padEnd(11)} | ${cell(ratios('static', rate, 'p50'))}`);
  }
  console.log(`\nwebhook latency: ${missed ? 'target missed at some rate' : 'within 1.5x of the bare server at every rate'} (medians of per-round ratios)`);
  if (failed) {
    console.error('some requests failed (errors, timeouts or non-2xx answers): figures are not valid');
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
