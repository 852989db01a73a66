// bin/etcd-controller as a host process against a local cluster instance, for tests and benchmarks: its log
// kept in memory (JSON lines) and, when asked, written whole to a file; stop() with SIGTERM, then SIGKILL after 5 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the nearest directory above this file holding package.json (it runs from source and from dist/). */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export interface HostController {
  proc: ChildProcess;
  pid: number;
  /** The last `keepLines` lines of its stdout and stderr. */
  log: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export interface HostControllerOptions {
  /** Flags after --kubeconfig and --namespace. */
  args?: string[];
  env?: Record<string, string>;
  keepLines?: number;
  /** Every line of its stdout and stderr, appended. */
  logFile?: string;
}

export function startHostController(kubeconfig: string, namespace: string, opts: HostControllerOptions = {}): HostController {
  const proc = spawn(
    join(checkoutRoot(), 'bin/etcd-controller'),
    ['--kubeconfig', kubeconfig, '--namespace', namespace, ...(opts.args ?? [])],
    { env: { ...process.env, LOG_FORMAT: 'json', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keepLines = opts.keepLines ?? 5000;
  const log: string[] = [];
  const file = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  // A pipe's chunks end anywhere: a line cut in two would be two lines that are neither JSON nor the message.
  const keep = () => {
    let rest = '';
    return (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      const lines = parts.filter(Boolean);
      log.push(...lines);
      if (log.length > keepLines) log.splice(0, log.length - keepLines);
      if (file && lines.length) file.write(`${lines.join('\n')}\n`);
    };
  };
  for (const stream of [proc.stdout!, proc.stderr!]) stream.setEncoding('utf8').on('data', keep());
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => {
    file?.end();
    r({ code, signal });
  }));
  return {
    proc,
    pid: proc.pid!,
    log,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    },
  };
}
