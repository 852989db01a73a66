// What `upgrade` shows before it changes anything: the plan of core/version-policy.ts as text, or as the
// document of `--dry-run -o json|yaml`. Pure.
import { minorOf } from '../../../core/etcd-version.js';
import type { UpgradePlan, UpgradeStep } from '../../../core/version-policy.js';
import type { Colors } from '../../cli/output.js';
import type { Verdict } from '../scale/plan.js';

const failures = (n: number) => `${n} failure${n === 1 ? '' : 's'}`;

/** One step as the plan lists it, with the cluster while that member is down. */
export function stepText(s: UpgradeStep, to: string): string {
  if (s.action === 'move-leader') return `move leadership off ${s.member} to another member`;
  if (s.done) return `restart ${s.member} on ${to}: done (it runs ${to} already)`;
  const figures = `(healthy ${s.healthy} of ${s.voting}, quorum ${s.quorum})`;
  if (s.tolerates < 0) return `restart ${s.member} on ${to}: no quorum while it restarts ${figures}: etcd is unavailable until it is back`;
  return `restart ${s.member} on ${to}: tolerates ${failures(s.tolerates)} while it restarts ${figures}`;
}

/** The plan as text: a title, one numbered line per step in the controller's order, then what it costs and waits for. */
export function upgradePlanText(plan: UpgradePlan, cluster: string, namespace: string, clusterVersion: string | undefined, c: Colors): string[] {
  const { from, to, steps } = plan;
  const lines = [c.bold(`Plan: upgrade ${cluster} (namespace ${namespace}) from etcd ${from} to ${to}, one member at a time: followers first (highest ordinal down), the leader last`)];
  steps.forEach((s, i) => {
    const text = stepText(s, to);
    lines.push(`  ${i + 1}. ${s.done ? c.dim(text) : s.tolerates < 0 ? c.red(text) : s.tolerates === 0 && s.action === 'restart' ? c.yellow(text) : text}`);
  });
  const restarts = steps.filter((s) => s.action === 'restart' && !s.done);
  if (!steps.length) lines.push('  No voting member yet: nothing to restart.');
  else if (!restarts.length) lines.push(`  Every member runs ${to} already: nothing restarts.`);
  else {
    const during = Math.min(...restarts.map((s) => s.tolerates));
    lines.push(`  Tolerates ${failures(plan.toleratesNow)} now; ${during < 0 ? 'no quorum' : failures(during)} while a member restarts.`);
  }
  const oldMinor = minorOf(from);
  const newMinor = minorOf(to);
  if (oldMinor !== newMinor) {
    // The one thing an upgrade cannot undo: say it before asking.
    lines.push(`  etcd's cluster version (${clusterVersion ?? 'unknown'}) moves to ${newMinor} once every member runs ${to}; ` +
      `going back to ${oldMinor} is possible only until the first member runs ${to} (V10).`);
  }
  if (plan.unhealthy.length) {
    lines.push(c.yellow(`  Waits for unhealthy member${plan.unhealthy.length > 1 ? 's' : ''} ${plan.unhealthy.join(', ')}: the rollout pauses until every member is healthy.`));
  }
  return lines;
}

/** `upgrade --dry-run -o json|yaml`: the plan as core/version-policy.ts makes it, and the verdict (as scale's). */
export function upgradeDocument(plan: UpgradePlan, cluster: string, namespace: string, verdict: Verdict) {
  return { cluster, namespace, from: plan.from, to: plan.to, toleratesNow: plan.toleratesNow, steps: plan.steps, unhealthy: plan.unhealthy, verdict };
}
