// `kubectl etcd scale NAME --replicas N`: preflight with the webhook's own policy, a plan with quorum after
// each step, confirmation, a server-side dry run, the change through /scale, then progress until done.
import { Annotations, type EtcdCluster } from '../../../core/api.js';
import { evaluateResize } from '../../../core/policy.js';
import { planLines, planResize, planStart } from '../../../core/resize-plan.js';
import { CliError, ExitCode } from '../../cli/errors.js';
import { explain } from '../../cli/explain.js';
import { duration, parseDuration } from '../../cli/format.js';
import { colorsFor, err, out } from '../../cli/output.js';
import { openSession, type GlobalArgs } from '../../cli/session.js';
import type { Connection } from '../../kube/connection.js';
import { getCluster, patchScale } from '../../kube/resources.js';
import { clusterLabel } from '../status/gather.js';
import { progressLine, resizeDone } from './progress.js';

export interface ScaleArgs extends GlobalArgs {
  name: string;
  replicas: number;
  yes: boolean;
  wait: boolean;
  timeout: string;
  maxSize: number;
}

const POLL_MS = 1_000;

export async function runScale(args: ScaleArgs): Promise<void> {
  const timeoutMs = parseDuration(args.timeout);
  if (timeoutMs === undefined) throw new CliError(`--timeout ${args.timeout}: not a duration (e.g. 90s, 10m, 1h)`);
  const { conn, namespace: ns } = await openSession(args);
  const label = clusterLabel(ns, args.name);
  const cluster = await getCluster(conn, ns, args.name).catch((e: unknown) => { throw explain(e, label); });
  const from = cluster.spec.size;
  const to = args.replicas;
  const c = colorsFor(args.color, process.stdout);
  const ce = colorsFor(args.color, process.stderr);

  const verdict = evaluateResize({
    operation: 'UPDATE',
    oldSize: from,
    newSize: to,
    status: cluster.status,
    generation: cluster.metadata.generation,
    forceResize: cluster.metadata.annotations?.[Annotations.forceResize] === 'true',
    maxSize: args.maxSize,
    name: args.name,
  });
  if (!verdict.allowed) throw new CliError(verdict.message ?? `denied by rule ${verdict.rule}`, ExitCode.denied);
  if (to === from) {
    out(`${args.name} already wants ${to} members; nothing to change`);
    return;
  }

  const plan = planResize(args.name, planStart(from, cluster.status), to, cluster.status);
  out(c.bold(`Plan: resize ${args.name} (namespace ${ns}) from ${plan.from} to ${plan.to} members, one member at a time`));
  planLines(plan).forEach((line, i) => out(`  ${i + 1}. ${plan.steps[i].lessTolerantThanBefore ? c.yellow(line) : line}`));
  out(`  Tolerates ${plan.toleratesBefore} failure(s) now, ${plan.toleratesAfter} when done.`);
  for (const w of verdict.warnings) err(ce.yellow(`Warning: ${w}`));

  if (!args.yes) await confirm();

  // The webhook's verdict on the real request (it may know a lower --max-size, or a newer status).
  const dry = await patchScale(conn, ns, args.name, to, true).catch((e: unknown) => { throw explain(e, label); });
  for (const w of dry.warnings) if (!verdict.warnings.includes(w)) err(ce.yellow(`Warning: ${w}`));
  const done = await patchScale(conn, ns, args.name, to, false).catch((e: unknown) => { throw explain(e, label); });
  // The generation the change produced: the controller must observe at least this one.
  const after = await getCluster(conn, ns, args.name).catch((e: unknown) => { throw explain(e, label); });
  const generation = after.metadata.generation ?? 0;
  err(`${args.name} scaled: spec.size ${from} -> ${done.body.spec?.replicas ?? to}`);
  if (!args.wait) {
    out(`${args.name}: resize ${from} -> ${to} requested; follow it with: kubectl etcd status ${args.name} -n ${ns} --watch`);
    return;
  }
  await waitForResize(conn, ns, args.name, to, generation, timeoutMs, after);
  out(`${args.name}: resized ${from} -> ${to}; Running with ${to} voting members`);
}

async function confirm(): Promise<void> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError('refusing to resize without confirmation: no terminal to ask on; pass --yes to proceed');
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C at the prompt is a "no", not a hang.
  const asked = new AbortController();
  rl.on('SIGINT', () => asked.abort());
  const answer = await rl.question('Proceed? [y/N] ', { signal: asked.signal }).catch(() => '').finally(() => rl.close());
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('aborted; nothing changed');
}

async function waitForResize(conn: Connection, ns: string, name: string, to: number, generation: number, timeoutMs: number, first: EtcdCluster): Promise<void> {
  const follow = `kubectl etcd status ${name} -n ${ns} --watch`;
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  let last = '';
  let cluster: EtcdCluster | undefined = first;
  try {
    for (;;) {
      if (cluster && resizeDone(cluster, to, generation)) break;
      if (cluster) {
        const line = `[${duration(Date.now() - started)}] ${progressLine(cluster, to)}`;
        const changed = line.replace(/^\[[^\]]*\] /, '') !== last.replace(/^\[[^\]]*\] /, '');
        if (tty) process.stderr.write(`\r\x1b[K${line}`);
        else if (changed) err(line);
        last = line;
      }
      if (interrupted) {
        if (tty) process.stderr.write('\n');
        throw new CliError(`stopped waiting; the resize to ${to} goes on in the cluster: follow it with ${follow}`, ExitCode.interrupted);
      }
      if (Date.now() - started >= timeoutMs) {
        if (tty) process.stderr.write('\n');
        throw new CliError(`timed out after ${duration(timeoutMs)} waiting for ${name} to reach ${to} members (${cluster ? progressLine(cluster, to) : 'status unknown'}); the resize goes on: follow it with ${follow}`, ExitCode.timedOut);
      }
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, timeoutMs - (Date.now() - started)))));
      // A failed read while waiting is not the resize failing: keep the last view and try again.
      cluster = await getCluster(conn, ns, name).catch(() => cluster);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (tty) process.stderr.write('\n');
}
