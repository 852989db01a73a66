// Structured logs: JSON lines in the cluster (what log pipelines parse), readable lines on a terminal.
import { pino, destination, stdTimeFunctions, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /**
   * Write JSON lines asynchronously, batched while a write is in flight, instead of one write(2) per line.
   * For a request path (the webhook logs every decision): pino still flushes what is pending at exit,
   * so only a SIGKILL can lose the last lines.
   */
  buffered?: boolean;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const human = process.stderr.isTTY && process.env.LOG_FORMAT !== 'json';
  const dest = human ? pretty({ colorize: true, destination: 2, sync: true }) : destination({ dest: 2, sync: !opts.buffered });
  return pino({ base: { component }, level, timestamp: stdTimeFunctions.isoTime }, dest);
}
