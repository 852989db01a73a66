// etcd-backup: the program of the snapshot and restore Jobs (operator image). Its result, or why it failed, goes
// to the termination log as JSON (core/snapshot-files.ts JobResult), where the controller reads it from the pod.
//   etcd-backup snapshot --from MEMBER=URL [--from MEMBER=URL ...] --dir DIR --cluster NAME --keep N [--tls-dir DIR]
//                        [--requested-at T] [--scheduled-for T]
//   etcd-backup verify|finish --source DIR --snapshot FILE --data DIR --staging DIR
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TERMINATION_MESSAGE_MAX, type JobResult } from '../core/snapshot-files.js';
import { finishRestore, verifyForRestore, type RestorePaths } from './restore.js';

const TERMINATION_LOG = process.env.BACKUP_TERMINATION_LOG ?? '/dev/termination-log';
const SNAPSHOT_TIMEOUT_MS = Number(process.env.BACKUP_SNAPSHOT_TIMEOUT_MS ?? 30 * 60_000);

function report(result: JobResult): void {
  const text = JSON.stringify(result);
  console.log(text);
  try {
    writeFileSync(TERMINATION_LOG, text.slice(0, TERMINATION_MESSAGE_MAX));
  } catch {
    // Outside a pod there is no termination log: stdout has it.
  }
}

const options = {
  from: { type: 'string', multiple: true }, dir: { type: 'string' }, cluster: { type: 'string' }, keep: { type: 'string' },
  'tls-dir': { type: 'string' }, 'requested-at': { type: 'string' }, 'scheduled-for': { type: 'string' },
  source: { type: 'string' }, snapshot: { type: 'string' }, data: { type: 'string' }, staging: { type: 'string' },
} as const;

type Values = Record<string, string | string[] | undefined>;

function need(values: Values, ...keys: string[]): void {
  const missing = keys.filter((k) => !values[k]);
  if (missing.length) throw new Error(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
}

/** --from MEMBER=URL, in the controller's order (followers first). */
function sources(from: string[]): { member: string; endpoint: string }[] {
  return from.map((f) => {
    const at = f.indexOf('=');
    if (at < 1 || at === f.length - 1) throw new Error(`--from ${f}: MEMBER=URL`);
    return { member: f.slice(0, at), endpoint: f.slice(at + 1) };
  });
}

async function run(command: string | undefined, values: Values): Promise<JobResult> {
  const one = (k: string) => values[k] as string | undefined;
  if (command === 'snapshot') {
    need(values, 'from', 'dir', 'cluster', 'keep');
    const keep = Number(values.keep);
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`--keep ${values.keep}: a whole number of at least 1`);
    const tlsDir = one('tls-dir');
    const tls = tlsDir ? { ca: readFileSync(join(tlsDir, 'ca.crt')), cert: readFileSync(join(tlsDir, 'tls.crt')), key: readFileSync(join(tlsDir, 'tls.key')) } : undefined;
    // Loaded only here: the etcd client (gRPC and its protos) costs seconds to load, and verify and finish never use it.
    const { takeSnapshot } = await import('./snapshot.js');
    return takeSnapshot({
      from: sources(values.from as string[]), dir: one('dir')!, cluster: one('cluster')!, keep, tls, timeoutMs: SNAPSHOT_TIMEOUT_MS,
      requestedAt: one('requested-at'), scheduledFor: one('scheduled-for'),
    });
  }
  if (command === 'verify' || command === 'finish') {
    need(values, 'source', 'snapshot', 'data', 'staging');
    const p = values as unknown as RestorePaths;
    const r = command === 'verify' ? await verifyForRestore(p) : finishRestore(p);
    return { restored: { snapshot: r.name, sha256: r.sha256, revision: r.revision } };
  }
  throw new Error(`unknown command ${command ?? '(none)'}: snapshot, verify or finish`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options, allowPositionals: true });
  try {
    report(await run(positionals[0], values));
    return 0;
  } catch (err) {
    report({ error: (err as Error).message });
    return 1;
  }
}

process.exitCode = await main();
