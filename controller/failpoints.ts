// Crash points for the crash-safety tests: ETCDOP_FAILPOINTS=after-learner-add,... makes the process SIGKILL
// itself right after (or before) the named step. Unset, each check is one lookup in an empty Set.
/** The points a resize crosses (each is a test of the chaos suite and of controller-scaling). */
export const RESIZE_FAILPOINTS = [
  'after-learner-add',
  'after-configmap',
  'after-sts-grow',
  'after-promote',
  'after-move-leader',
  'after-member-remove',
  'after-sts-shrink',
  'before-pvc-delete',
] as const;
/** The points a replacement adds to those (it also removes, adds, promotes). */
export const REPAIR_FAILPOINTS = ['after-repair-begin', 'after-pod-delete', 'after-recovery-begin'] as const;
/** The points a rollout adds (it also moves leadership and deletes pods: after-move-leader, after-pod-delete). */
export const UPGRADE_FAILPOINTS = ['after-upgrade-begin', 'after-template-update'] as const;
/** Between member 0's volume and the Job that restores into it (spec.bootstrap.fromSnapshot). */
export const RESTORE_FAILPOINTS = ['after-restore-volume'] as const;
export const FAILPOINTS = [...RESIZE_FAILPOINTS, ...REPAIR_FAILPOINTS, ...UPGRADE_FAILPOINTS, ...RESTORE_FAILPOINTS] as const;
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
