// The buffered logger (the webhook's) must not lose lines when the process ends, however it ends short
// of SIGKILL: a burst logged just before process.exit() reaches stderr in full.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const logModule = join(dirname(fileURLToPath(import.meta.url)), '../../dist/core/log.js');

function runLogger(buffered: boolean, lines: number): string[] {
  const script = `
    const { createLogger } = await import(${JSON.stringify(logModule)});
    const log = createLogger('test', { buffered: ${buffered} });
    for (let i = 0; i < ${lines}; i++) log.info({ i }, 'line');
    process.exit(3);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info' }, encoding: 'utf8' });
  expect(r.status).toBe(3);
  return r.stderr.split('\n').filter((l) => l.startsWith('{'));
}

describe('createLogger', () => {
  it.each([true, false])('buffered=%s: every line logged before process.exit() is written, in order, as JSON', (buffered) => {
    const lines = runLogger(buffered, 5000);
    expect(lines).toHaveLength(5000);
    const parsed = lines.map((l) => JSON.parse(l) as { i: number; component: string; msg: string });
    expect(parsed.map((p) => p.i)).toEqual([...Array(5000).keys()]);
    expect(parsed[0]).toMatchObject({ component: 'test', msg: 'line' });
  });
});
