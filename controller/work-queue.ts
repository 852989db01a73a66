// Keyed work queue: one pass at a time per key, passes for different keys in parallel, a key enqueued while
// its pass runs runs once more afterwards, failures back off per key (reset by a success).
export type Handler = (key: string) => Promise<{ requeueMs?: number }>;

interface Entry {
  timer?: NodeJS.Timeout;
  due?: number;
  running: boolean;
  again?: number;
  failures: number;
}

export class WorkQueue {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly handler: Handler,
    private readonly onError: (key: string, err: unknown) => void,
    private readonly backoff = { baseMs: 250, maxMs: 30_000 },
  ) {}

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { running: false, failures: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Run the key's pass after delayMs (the earliest request wins). */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    const e = this.entry(key);
    if (e.running) {
      e.again = Math.min(e.again ?? delayMs, delayMs);
      return;
    }
    const due = Date.now() + delayMs;
    if (e.timer && e.due !== undefined && e.due <= due) return;
    if (e.timer) clearTimeout(e.timer);
    e.due = due;
    e.timer = setTimeout(() => void this.run(key), delayMs);
  }

  private async run(key: string): Promise<void> {
    const e = this.entry(key);
    e.timer = undefined;
    e.due = undefined;
    e.running = true;
    let next: number | undefined;
    try {
      const res = await this.handler(key);
      e.failures = 0;
      next = res.requeueMs;
    } catch (err) {
      e.failures++;
      this.onError(key, err);
      next = Math.min(this.backoff.baseMs * 2 ** (e.failures - 1), this.backoff.maxMs);
    } finally {
      e.running = false;
    }
    const again = e.again;
    e.again = undefined;
    const delays = [next, again].filter((d): d is number => d !== undefined);
    if (delays.length) this.add(key, Math.min(...delays));
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Forget a key (its object is gone). */
  forget(key: string): void {
    const e = this.entries.get(key);
    if (e?.timer) clearTimeout(e.timer);
    this.entries.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
  }
}
