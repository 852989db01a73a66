// The keyed work queue: one pass per key at a time, coalescing, requeue, back-off on failure.
import { WorkQueue } from '../../controller/work-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('never runs two passes of one key at once and runs once more for an add during a pass', async () => {
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const q = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      passes++;
      await sleep(30);
      running--;
      return {};
    }, () => undefined);
    q.add('a');
    await sleep(5);
    q.add('a');
    q.add('a');
    await sleep(120);
    q.stop();
    expect(maxRunning).toBe(1);
    expect(passes).toBe(2);
  });

  it('a key stuck in a slow pass delays no other key: fifty others run their passes meanwhile', async () => {
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((r) => { release = r; });
    const done = new Set<string>();
    const q = new WorkQueue(async (k) => {
      if (k === 'slow') await stuck;
      done.add(k);
      return {};
    }, () => undefined);
    q.add('slow');
    await sleep(5);
    const others = Array.from({ length: 50 }, (_, i) => `c${i}`);
    for (const k of others) q.add(k);
    // However loaded the machine, while the slow pass holds.
    for (let waited = 0; waited < 5000 && others.some((k) => !done.has(k)); waited += 10) await sleep(10);
    expect(others.filter((k) => done.has(k))).toEqual(others);
    expect(done.has('slow')).toBe(false);
    release();
    await sleep(5);
    q.stop();
    expect(done.has('slow')).toBe(true);
  });

  it('coalesces adds made before the pass starts and honours requeueMs', async () => {
    const times: number[] = [];
    const q = new WorkQueue(async () => {
      times.push(Date.now());
      return times.length < 2 ? { requeueMs: 40 } : {};
    }, () => undefined);
    q.add('k', 10);
    q.add('k', 0);
    q.add('k', 5);
    // Waits for the requeued pass however loaded the machine is, then long enough for any pass too many.
    for (let i = 0; i < 300 && times.length < 2; i++) await sleep(10);
    await sleep(150);
    q.stop();
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(35);
  });

  it('backs off after failures (doubling) and reports each error', async () => {
    const errors: string[] = [];
    const times: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        throw new Error(`boom ${times.length}`);
      },
      (_k, err) => errors.push((err as Error).message),
      { baseMs: 40, maxMs: 1000 },
    );
    q.add('x');
    for (let i = 0; i < 100 && times.length < 3; i++) await sleep(10);
    q.stop();
    expect(errors.slice(0, 3)).toEqual(['boom 1', 'boom 2', 'boom 3']);
    const [g1, g2] = [times[1] - times[0], times[2] - times[1]];
    expect(g1).toBeGreaterThanOrEqual(38);
    expect(g2).toBeGreaterThanOrEqual(78);
  });
});
