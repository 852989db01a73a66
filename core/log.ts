// Structured logs: JSON lines in the cluster (what log pipelines parse), readable lines on a terminal.
import { pino, destination, stdTimeFunctions, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const human = process.stderr.isTTY && process.env.LOG_FORMAT !== 'json';
  const dest = human ? pretty({ colorize: true, destination: 2, sync: true }) : destination({ dest: 2, sync: true });
  return pino({ base: { component }, level, timestamp: stdTimeFunctions.isoTime }, dest);
}
