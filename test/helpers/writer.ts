// The acknowledged-writes recorder of the reliability suite. It puts keys continuously, like a client of
// the cluster's client Service: each put goes to the next address the Service's endpoints list (refreshed
// every second by the caller's `endpoints` function), one attempt with a deadline, no retry. Every put etcd
// acknowledged is recorded; `verify` reads them all back. Bounded in count and time. Failed puts are kept
// as windows attributed to the phase (`mark`) in which they started: a window runs from the start of a
// failed put to the end of the last failed put that follows it with no gap of WINDOW_GAP_MS free of
// failures (a client spread over several addresses sees a dead one as failures mixed with successes).
import { Etcd3 } from 'etcd3';
import { noop } from 'cockatiel';
import type { CoreV1Api } from '@kubernetes/client-node';

export interface WriterOptions {
  /** Client URLs to write through right now (e.g. the ready addresses of the client Service). */
  endpoints: () => Promise<string[]>;
  /** Key prefix; keys are PREFIX/<sequence number, 8 digits>. */
  prefix: string;
  /** Target puts per second (default 200). */
  rate?: number;
  /** Puts in flight at once (default 4). */
  concurrency?: number;
  /** Stop after this many puts (default 200 000). */
  maxPuts?: number;
  /** Stop after this long at most (default 20 minutes). */
  maxMs?: number;
  /** Deadline of one put (default 2000 ms). */
  timeoutMs?: number;
}

export interface FailureWindow {
  phase: string;
  startMs: number;
  endMs: number;
  failures: number;
  lastError: string;
}

export interface WriterReport {
  attempted: number;
  acknowledged: number;
  failed: number;
  /** Longest failure window per phase, in milliseconds (0 when no put failed in it). */
  longestWindowMs: Record<string, number>;
  /** Puts acknowledged in each phase (by the phase a put began in). */
  acknowledgedByPhase: Record<string, number>;
  windows: FailureWindow[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const WINDOW_GAP_MS = 500;

export class AckWriter {
  private readonly acked = new Map<string, string>();
  /** The store revision etcd acknowledged each put at (a snapshot at revision R holds every put at or below R). */
  private readonly revisions = new Map<string, number>();
  private readonly acksByPhase = new Map<string, number>();
  private readonly clients = new Map<string, Etcd3>();
  private readonly windows: FailureWindow[] = [];
  private readonly phases: string[] = [];
  private open?: FailureWindow;
  private current: string[] = [];
  private next = 0;
  private seq = 0;
  private attempted = 0;
  private failed = 0;
  private stopping = false;
  private refresh?: NodeJS.Timeout;
  private workers: Promise<void>[] = [];
  private phase = 'start';
  private startedAt = 0;

  constructor(private readonly opts: WriterOptions) {}

  async start(): Promise<void> {
    this.current = await this.opts.endpoints();
    if (!this.current.length) throw new Error('writer: no endpoints to write through');
    this.startedAt = Date.now();
    this.phases.push(this.phase);
    this.refresh = setInterval(() => {
      this.opts.endpoints().then((e) => { if (e.length) this.current = e; }, () => undefined);
    }, 1000);
    const n = this.opts.concurrency ?? 4;
    this.workers = Array.from({ length: n }, () => this.work(n));
  }

  /** Later failures are attributed to this phase (e.g. "1->3"). */
  mark(phase: string): void {
    this.phase = phase;
    this.phases.push(phase);
  }

  /** Acknowledged puts so far. */
  get acknowledged(): number {
    return this.acked.size;
  }

  private client(endpoint: string): Etcd3 {
    let c = this.clients.get(endpoint);
    if (!c) {
      const timeoutMs = this.opts.timeoutMs ?? 2000;
      c = new Etcd3({
        hosts: [endpoint],
        dialTimeout: timeoutMs,
        faultHandling: { global: noop, host: () => noop },
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      });
      this.clients.set(endpoint, c);
    }
    return c;
  }

  private async work(workers: number): Promise<void> {
    const perWorkerGapMs = (1000 * workers) / (this.opts.rate ?? 200);
    const maxPuts = this.opts.maxPuts ?? 200_000;
    const deadline = this.startedAt + (this.opts.maxMs ?? 20 * 60_000);
    while (!this.stopping && this.seq < maxPuts && Date.now() < deadline) {
      const began = Date.now();
      const key = `${this.opts.prefix}/${String(this.seq++).padStart(8, '0')}`;
      const value = `${key}@${began}`;
      const endpoint = this.current[this.next++ % this.current.length];
      const phase = this.phase;
      this.attempted++;
      try {
        const r = await this.client(endpoint).put(key).value(value);
        this.acked.set(key, value);
        this.revisions.set(key, Number(r.header.revision));
        this.acksByPhase.set(phase, (this.acksByPhase.get(phase) ?? 0) + 1);
        if (this.open && Date.now() - this.open.endMs > WINDOW_GAP_MS) {
          this.windows.push(this.open);
          this.open = undefined;
        }
      } catch (err) {
        this.failed++;
        const lastError = `${endpoint}: ${err instanceof Error ? err.message : String(err)}`;
        if (this.open && began - this.open.endMs > WINDOW_GAP_MS) {
          this.windows.push(this.open);
          this.open = undefined;
        }
        if (this.open) {
          this.open.failures++;
          this.open.lastError = lastError;
          this.open.endMs = Date.now();
        } else {
          this.open = { phase: this.phase, startMs: began, endMs: Date.now(), failures: 1, lastError };
        }
      }
      const wait = perWorkerGapMs - (Date.now() - began);
      if (wait > 0) await sleep(wait);
    }
  }

  /** Stops writing; resolves when the puts in flight are done. */
  async stop(): Promise<WriterReport> {
    this.stopping = true;
    if (this.refresh) clearInterval(this.refresh);
    await Promise.all(this.workers);
    if (this.open) {
      this.windows.push(this.open);
      this.open = undefined;
    }
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    const longestWindowMs: Record<string, number> = Object.fromEntries(this.phases.map((p) => [p, 0]));
    for (const w of this.windows) longestWindowMs[w.phase] = Math.max(longestWindowMs[w.phase] ?? 0, w.endMs - w.startMs);
    const acknowledgedByPhase = Object.fromEntries(this.phases.map((p) => [p, this.acksByPhase.get(p) ?? 0]));
    return { attempted: this.attempted, acknowledged: this.acked.size, failed: this.failed, longestWindowMs, acknowledgedByPhase, windows: [...this.windows] };
  }

  /**
   * Reads every acknowledged key back through `endpoint`; returns the keys missing or with another value. With
   * `atOrBelow`, only the puts acknowledged at or below that revision (a cluster restored from a snapshot).
   */
  async verify(endpoint: string, atOrBelow?: number): Promise<string[]> {
    const client = new Etcd3({ hosts: [endpoint] });
    try {
      const stored = await client.getAll().prefix(`${this.opts.prefix}/`).strings();
      const wanted = [...this.acked].filter(([k]) => atOrBelow === undefined || this.revisions.get(k)! <= atOrBelow);
      return wanted.filter(([k, v]) => stored[k] !== v).map(([k]) => k);
    } finally {
      client.close();
    }
  }

  /** How many acknowledged puts are at or below `revision`. */
  acknowledgedAtOrBelow(revision: number): number {
    return [...this.revisions.values()].filter((r) => r <= revision).length;
  }
}

/** The ready addresses of a Service's Endpoints as client URLs: where a client of the Service is sent. */
export function serviceEndpoints(core: CoreV1Api, namespace: string, service: string, port = 2379): () => Promise<string[]> {
  return async () => {
    const ep = await core.readNamespacedEndpoints({ namespace, name: service });
    return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => `http://${a.ip}:${port}`));
  };
}
