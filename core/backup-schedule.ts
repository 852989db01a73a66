// spec.backup.schedule: five-field cron in UTC, read with cron-parser. Pure (times in, times out): the controller
// keeps the schedule's clock in status.backup.lastScheduleTime and on its Jobs, never in memory.
import { CronExpressionParser } from 'cron-parser';

export type ScheduleCheck = { ok: true } | { ok: false; error: string };

function parse(schedule: string, at: Date) {
  return CronExpressionParser.parse(schedule, { currentDate: at, tz: 'UTC' });
}

/** Five fields (minute hour day-of-month month day-of-week), as a CronJob's; no seconds, no macros. */
export function checkSchedule(schedule: string): ScheduleCheck {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return { ok: false, error: `"${schedule}" has ${fields.length} fields; a schedule has 5 (minute hour day-of-month month day-of-week), e.g. "*/30 * * * *"` };
  try {
    parse(schedule, new Date()).next();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: `"${schedule}" is not a cron schedule: ${(err as Error).message}` };
  }
}

/** The first time of the schedule strictly after `at`. */
export function nextAfter(schedule: string, at: Date): Date {
  return parse(schedule, at).next().toDate();
}

/** The latest time of the schedule at or before `at` (what a controller that was away catches up with: one run, not a backlog). */
export function latestAtOrBefore(schedule: string, at: Date): Date {
  const just = new Date(at.getTime() + 1);
  return parse(schedule, just).prev().toDate();
}

/** The schedule's period around `at`: the gap between its next two times (an irregular one's local gap). */
export function schedulePeriodMs(schedule: string, at: Date): number {
  const e = parse(schedule, at);
  const a = e.next().getTime();
  return e.next().getTime() - a;
}
