// etcd-backup: the program of the snapshot and restore Jobs (operator image). Its result, or why it failed, goes
// to the termination log as JSON (core/snapshot-files.ts JobResult), where the controller reads it from the pod.
//   etcd-backup snapshot --endpoint URL --dir DIR --cluster NAME --member NAME --keep N [--tls-dir DIR]
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
  endpoint: { type: 'string' }, dir: { type: 'string' }, cluster: { type: 'string' }, member: { type: 'string' }, keep: { type: 'string' },
  'tls-dir': { type: 'string' }, 'requested-at': { type: 'string' }, 'scheduled-for': { type: 'string' },
  source: { type: 'string' }, snapshot: { type: 'string' }, data: { type: 'string' }, staging: { type: 'string' },
} as const;

function need(values: Record<string, string | undefined>, ...keys: string[]): void {
  const missing = keys.filter((k) => !values[k]);
  if (missing.length) throw new Error(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
}

async function run(command: string | undefined, values: Record<string, string | undefined>): Promise<JobResult> {
  if (command === 'snapshot') {
    need(values, 'endpoint', 'dir', 'cluster', 'member', 'keep');
    const keep = Number(values.keep);
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`--keep ${values.keep}: a whole number of at least 1`);
    const tlsDir = values['tls-dir'];
    const tls = tlsDir ? { ca: readFileSync(join(tlsDir, 'ca.crt')), cert: readFileSync(join(tlsDir, 'tls.crt')), key: readFileSync(join(tlsDir, 'tls.key')) } : undefined;
    // Loaded only here: the etcd client (gRPC and its protos) costs seconds to load, and verify and finish never use it.
    const { takeSnapshot } = await import('./snapshot.js');
    return takeSnapshot({
      endpoint: values.endpoint!, dir: values.dir!, cluster: values.cluster!, member: values.member!, keep, tls, timeoutMs: SNAPSHOT_TIMEOUT_MS,
      requestedAt: values['requested-at'], scheduledFor: values['scheduled-for'],
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
