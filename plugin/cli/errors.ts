// Exit codes (SPEC.md, kubectl-etcd) and the one error type commands throw to end with one of them.
// Loaded by the entry point before any command: keep it free of API code.

export const ExitCode = { ok: 0, error: 1, denied: 2, timedOut: 3, interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(message: string, readonly code: ExitCode = ExitCode.error) {
    super(message);
  }
}
