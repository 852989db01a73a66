// Human forms of times and sizes, as kubectl prints them ("5m", "2d3h", "1.2 MiB").
import { duration } from '../../core/duration.js';

export { duration, parseDuration } from '../../core/duration.js';

/** kubectl's AGE: the two largest units, e.g. 45s, 5m10s, 3h4m, 2d3h. */
export function age(fromIso: string | undefined, now: Date): string {
  const t = Date.parse(fromIso ?? '');
  return Number.isNaN(t) ? '-' : duration(now.getTime() - t);
}

export function bytes(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function dash(v: string | number | undefined | null): string {
  return v === undefined || v === null || v === '' ? '-' : String(v);
}
