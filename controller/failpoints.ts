// Crash points for the crash-safety tests: ETCDOP_FAILPOINTS=after-learner-add,... makes the process SIGKILL
// itself right after (or before) the named step. Unset, each check is one lookup in an empty Set.
export const FAILPOINTS = [
  'after-learner-add',
  'after-configmap',
  'after-sts-grow',
  'after-promote',
  'after-move-leader',
  'after-member-remove',
  'after-sts-shrink',
  'before-pvc-delete',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

const enabled = new Set(
  (process.env.ETCDOP_FAILPOINTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export function failpoint(name: Failpoint, log: (msg: string) => void): void {
  if (enabled.size === 0 || !enabled.has(name)) return;
  log(`failpoint ${name} reached: SIGKILL`);
  process.kill(process.pid, 'SIGKILL');
}
