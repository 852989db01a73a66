import { describe, expect, it } from '@jest/globals';
import { MemoryReclaimer } from '../../controller/memory-reclaim.js';

const MiB = 2 ** 20;

/** An RSS that the fake gc() lowers by `freed` MiB. */
function fakeProcess(startMiB: number, freedMiB: number) {
  const p = { rss: startMiB * MiB, collections: 0 };
  const gc = () => {
    p.collections++;
    p.rss -= freedMiB * MiB;
  };
  return { p, gc, rss: () => p.rss };
}

describe('MemoryReclaimer', () => {
  it('does not collect while RSS stays within the threshold of where it started', () => {
    const { p, gc, rss } = fakeProcess(130, 60);
    const r = new MemoryReclaimer(gc, rss, 32 * MiB);
    p.rss += 31 * MiB;
    expect(r.check()).toBeUndefined();
    expect(p.collections).toBe(0);
  });

  it('collects once RSS has grown by the threshold and reports before and after', () => {
    const { p, gc, rss } = fakeProcess(130, 60);
    const r = new MemoryReclaimer(gc, rss, 32 * MiB);
    p.rss += 100 * MiB;
    expect(r.check()).toEqual({ before: 230 * MiB, after: 170 * MiB });
    expect(p.collections).toBe(1);
  });

  it('counts the next growth from after the collection, so memory really in use is not collected every check', () => {
    const { p, gc, rss } = fakeProcess(130, 0);
    const r = new MemoryReclaimer(gc, rss, 32 * MiB);
    p.rss += 40 * MiB;
    expect(r.check()).toBeDefined();
    // The collection freed nothing: 170 MiB is the new baseline.
    p.rss += 20 * MiB;
    expect(r.check()).toBeUndefined();
    p.rss += 12 * MiB;
    expect(r.check()).toEqual({ before: 202 * MiB, after: 202 * MiB });
    expect(p.collections).toBe(2);
  });
});
