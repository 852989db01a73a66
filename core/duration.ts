// Durations as users write them ("500ms", "90s", "3m", "1h30m"; a bare number is seconds) and as they are
// shown back (the two largest units, as kubectl's AGE): one reading for the plugin's flags and the spec's
// `repair.unhealthyAfter`.

/** The schema's pattern for a duration in a spec (units required there). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0, m: RegExpExecArray | null, end = 0;
  while ((m = re.exec(text))) { total += Number(m[1]) * unit[m[2]]; end = re.lastIndex; }
  return end === text.length && end > 0 ? total : undefined;
}

/** kubectl's AGE style: 45s, 5m10s, 3h4m, 2d3h. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  if (m > 0) return sec > 0 && m < 10 ? `${m}m${sec}s` : `${m}m`;
  return `${sec}s`;
}
