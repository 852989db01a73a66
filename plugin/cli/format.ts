// Human forms of times and sizes, as kubectl prints them ("5m", "2d3h", "1.2 MiB").

/** kubectl's AGE: the two largest units, e.g. 45s, 5m10s, 3h4m, 2d3h. */
export function age(fromIso: string | undefined, now: Date): string {
  const t = Date.parse(fromIso ?? '');
  return Number.isNaN(t) ? '-' : duration(now.getTime() - t);
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  if (m > 0) return sec > 0 && m < 10 ? `${m}m${sec}s` : `${m}m`;
  return `${sec}s`;
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

/** kubectl's duration flags: "500ms", "90s", "10m", "1h30m"; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0, m: RegExpExecArray | null, end = 0;
  while ((m = re.exec(text))) { total += Number(m[1]) * unit[m[2]]; end = re.lastIndex; }
  return end === text.length && end > 0 ? total : undefined;
}
