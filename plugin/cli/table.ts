// kubectl-style tables: upper-case headers, columns separated by three spaces, no borders. Widths ignore
// colour escapes so coloured cells line up.

const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) => cells
    .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c))))
    .join('   ')
    .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** "Key:   value" lines with the values aligned. */
export function keyValues(pairs: [string, string][]): string[] {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 2)}${v}`);
}
