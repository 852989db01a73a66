// The plugin's commands run in this process, as plugin/main.ts runs them (the same flags, registration and
// handlers; a failure ends with its CliError's exit code), with stdout and stderr captured and no terminal:
// the guided commands' flows against the stand-in API server without a build.
import { jest } from '@jest/globals';
import yargs from 'yargs';
import { CliError } from '../../plugin/cli/errors.js';
import { globalFlags } from '../../plugin/cli/flags.js';
import { registerCommands } from '../../plugin/commands/commands.js';
import { closeConnections } from '../../plugin/kube/http.js';

export interface Result { code: number; stdout: string; stderr: string }

const text = (chunk: unknown) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());

/** Runs `kubectl etcd ARGS` against `kubeconfig`; never asks (stdin is no terminal) and never colours. */
export async function kubectlEtcd(args: string[], kubeconfig: string): Promise<Result> {
  const r: Result = { code: 0, stdout: '', stderr: '' };
  const streams = [process.stdin, process.stdout, process.stderr];
  const tty = streams.map((s) => Object.getOwnPropertyDescriptor(s, 'isTTY'));
  for (const s of streams) Object.defineProperty(s, 'isTTY', { value: false, configurable: true, writable: true });
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => { r.stdout += text(chunk); return true; });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => { r.stderr += text(chunk); return true; });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    const run = async (task: () => Promise<void>) => {
      try {
        await task();
      } catch (e) {
        const ce = e instanceof CliError ? e : new CliError(e instanceof Error ? e.message : String(e));
        r.stderr += `error: ${ce.message}\n`;
        process.exitCode = ce.code;
      }
    };
    const cli = globalFlags(yargs([...args, '--kubeconfig', kubeconfig, '--color', 'never'])).strict().version(false)
      .fail((msg, e) => { throw e ?? new CliError(msg); });
    try {
      // A usage error (yargs validation) is thrown, not rejected: main.ts exits 1 on it.
      await registerCommands(cli, run).parseAsync();
    } catch (e) {
      r.stderr += `error: ${e instanceof Error ? e.message : String(e)}\n`;
      process.exitCode = 1;
    }
    r.code = Number(process.exitCode ?? 0);
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = exitCode;
    streams.forEach((s, i) => {
      if (tty[i]) Object.defineProperty(s, 'isTTY', tty[i]!);
      else delete (s as { isTTY?: boolean }).isTTY;
    });
    closeConnections();
  }
  return r;
}
