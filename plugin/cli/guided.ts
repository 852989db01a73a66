// What every guided operation (scale, replace, recover, upgrade) does around its change: read the cluster, ask
// before the change, then follow the EtcdCluster until the controller is done, with one progress line, honest
// exit codes (3 timed out, 130 interrupted: the operation goes on in the cluster either way).
import type { EtcdCluster } from '../../core/api.js';
import { duration } from '../../core/duration.js';
import type { Connection } from '../kube/connection.js';
import { getCluster } from '../kube/resources.js';
import { clusterLabel } from '../commands/status/gather.js';
import { CliError, ExitCode } from './errors.js';
import { explain } from './explain.js';
import { parseDuration } from './format.js';
import { colorsFor, err, type Colors } from './output.js';
import { openSession, type GlobalArgs } from './session.js';

const POLL_MS = 1_000;

export interface GuidedArgs extends GlobalArgs {
  name: string;
  yes: boolean;
  wait: boolean;
  timeout: string;
  dryRun: boolean;
}

export interface Guided {
  conn: Connection;
  ns: string;
  /** The cluster as errors name it ("demo in namespace x"). */
  label: string;
  cluster: EtcdCluster;
  timeoutMs: number;
  /** -o json|yaml: the dry run's plan as data in that format; undefined: as text. */
  format?: 'json' | 'yaml';
  /** Colors for stdout and for stderr. */
  c: Colors;
  ce: Colors;
}

/** The start of every guided operation: its flags checked before anything is read, then the cluster as it is. */
export async function openGuided(args: GuidedArgs, what: 'plan' | 'proposal'): Promise<Guided> {
  const timeoutMs = timeoutOf(args.timeout);
  const format = args.output === 'json' || args.output === 'yaml' ? args.output : undefined;
  if (format && !args.dryRun) throw new CliError(`-o ${args.output} prints the ${what} of a dry run: add --dry-run (the change itself reports as text)`);
  return { ...(await readCluster(args)), timeoutMs, format, c: colorsFor(args.color, process.stdout), ce: colorsFor(args.color, process.stderr) };
}

/** --timeout in milliseconds; a bad one is refused before anything is read. */
export function timeoutOf(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliError(`--timeout ${text}: not a duration (e.g. 90s, 10m, 1h)`);
  return ms;
}

/** The session, and the cluster NAME as it is now (a failed read says what to do). */
export async function readCluster(args: GlobalArgs & { name: string }): Promise<Pick<Guided, 'conn' | 'ns' | 'label' | 'cluster'>> {
  const { conn, namespace: ns } = await openSession(args);
  const label = clusterLabel(ns, args.name);
  const cluster = await getCluster(conn, ns, args.name).catch((e: unknown) => { throw explain(e, label); });
  return { conn, ns, label, cluster };
}

/** "Proceed? [y/N]" on the terminal; without one, refuse (the caller offers --yes). */
export async function confirm(what: string): Promise<void> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError(`refusing to ${what} without confirmation: no terminal to ask on; pass --yes to proceed`);
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C at the prompt is a "no", not a hang.
  const asked = new AbortController();
  rl.on('SIGINT', () => asked.abort());
  const answer = await rl.question('Proceed? [y/N] ', { signal: asked.signal }).catch(() => '').finally(() => rl.close());
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('aborted; nothing changed');
}

export interface Follow {
  conn: Connection;
  namespace: string;
  name: string;
  timeoutMs: number;
  /** For the messages: what is waited for ("demo to reach 5 members"), the operation ("the resize to 5"), its noun ("the resize"). */
  goal: string;
  operation: string;
  noun: string;
  done(c: EtcdCluster): boolean;
  line(c: EtcdCluster): string;
  /** What the timeout and interrupt messages say after ";" (default: the operation goes on, follow it with `status --watch`). */
  next?: string;
}

/** Polls the EtcdCluster until `done`, printing where it is; a failed read keeps the last view and retries. */
export async function follow(f: Follow, first: EtcdCluster): Promise<EtcdCluster> {
  const watch = `kubectl etcd status ${f.name} -n ${f.namespace} --watch`;
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  let last = '';
  let cluster = first;
  try {
    for (;;) {
      if (f.done(cluster)) break;
      const line = `[${duration(Date.now() - started)}] ${f.line(cluster)}`;
      const changed = line.replace(/^\[[^\]]*\] /, '') !== last.replace(/^\[[^\]]*\] /, '');
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (changed) err(line);
      last = line;
      if (interrupted) {
        if (tty) process.stderr.write('\n');
        throw new CliError(`stopped waiting; ${f.next ?? `${f.operation} goes on in the cluster: follow it with ${watch}`}`, ExitCode.interrupted);
      }
      if (Date.now() - started >= f.timeoutMs) {
        if (tty) process.stderr.write('\n');
        throw new CliError(`timed out after ${duration(f.timeoutMs)} waiting for ${f.goal} (${f.line(cluster)}); ${f.next ?? `${f.noun} goes on: follow it with ${watch}`}`, ExitCode.timedOut);
      }
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, f.timeoutMs - (Date.now() - started)))));
      cluster = await getCluster(f.conn, f.namespace, f.name).catch(() => cluster);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (tty) process.stderr.write('\n');
  return cluster;
}

/** How long a recorded operation took (its record's startedAt to completedAt), as final lines say it: "12.3 s". */
export function tookSeconds(r: { startedAt: string; completedAt?: string }): string {
  return `${(Math.max(0, Date.parse(r.completedAt ?? '') - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`;
}
