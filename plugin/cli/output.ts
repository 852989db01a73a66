// Where things go: data on stdout, progress and diagnostics on stderr; colour only when asked or on a terminal.
import pc from 'picocolors';
import type { Colors } from 'picocolors/types.js';

export type ColorMode = 'auto' | 'always' | 'never';
export type { Colors };

export function colorsFor(mode: ColorMode, stream: { isTTY?: boolean }): Colors {
  const enabled = mode === 'always' || (mode === 'auto' && stream.isTTY === true && !process.env.NO_COLOR);
  return pc.createColors(enabled);
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Machine-readable output; the YAML writer (js-yaml, which also reads kubeconfig) is loaded only when asked for. */
export async function formatData(data: unknown, format: 'json' | 'yaml'): Promise<string> {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  const { dump } = await import('js-yaml');
  return dump(data, { noRefs: true, lineWidth: -1 });
}
