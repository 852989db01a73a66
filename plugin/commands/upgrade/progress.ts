// Where a version rollout is, from the EtcdCluster alone: what `upgrade --wait` prints while the controller
// restarts members, when it is done, and the figures the Upgrade section of `status` shows. Pure.
import { RolloutReasons } from '../../../core/rollout.js';
import type { Condition, EtcdCluster, EtcdClusterStatus, LastUpgrade } from '../../../core/api.js';
import { findCondition } from '../../../core/conditions.js';
import { minorOf } from '../../../core/etcd-version.js';
import { voting } from '../../../core/membership.js';

/** Reasons of a Degraded condition that hold the rollout: a member unhealthy (paused) or not back after its restart (stuck). */
const HELD = new Set<string>([RolloutReasons.paused, RolloutReasons.stuck]);

/** The voting members that run `version` (as each last told the controller), and how many vote. */
export function onVersion(st: EtcdClusterStatus | undefined, version: string): { on: string[]; of: number } {
  const members = voting(st);
  return { on: members.filter((m) => m.version === version).map((m) => m.name), of: members.length };
}

/** "2 of 3 members on 3.5.16 (demo-1, demo-2)". */
export function onVersionText(st: EtcdClusterStatus | undefined, version: string): string {
  const { on, of } = onVersion(st, version);
  return `${on.length} of ${of} members on ${version}${on.length ? ` (${on.join(', ')})` : ''}`;
}

/** What holds the rollout, when something does: the Degraded condition with reason RolloutPaused or RolloutStuck. */
export function rolloutHeld(st: EtcdClusterStatus | undefined): Condition | undefined {
  const d = findCondition(st, 'Degraded');
  return d?.status === 'True' && HELD.has(d.reason) ? d : undefined;
}

/** The controller's record of the upgrade to `to`, once it has seen the change (its generation): never an older record. */
export function upgradeTo(c: EtcdCluster, to: string, generation: number): LastUpgrade | undefined {
  const st = c.status;
  if ((st?.observedGeneration ?? 0) < generation) return undefined;
  return st?.lastUpgrade?.to === to ? st.lastUpgrade : undefined;
}

/**
 * Done: the controller recorded the upgrade to `to` complete (every member runs it, healthy and Ready) and etcd's
 * cluster version has reached its minor. The record completes only then; the cluster version is checked here
 * too because it is what the command promises.
 */
export function upgradeDone(c: EtcdCluster, to: string, generation: number): boolean {
  return !!upgradeTo(c, to, generation)?.completedAt && minorOf(c.status?.clusterVersion) === minorOf(to);
}

/** One line: "1 of 3 members on 3.5.16 (demo-2), cluster version 3.4.0, step: Upgrading: ..., RolloutPaused: ...". */
export function upgradeProgressLine(c: EtcdCluster, to: string, generation: number): string {
  const st = c.status;
  const parts = [onVersionText(st, to), `cluster version ${st?.clusterVersion ?? 'unknown'}`];
  if (!upgradeTo(c, to, generation)) parts.unshift('waiting for the controller');
  const p = findCondition(st, 'Progressing');
  if (p?.status === 'True') parts.push(`step: ${p.reason}: ${p.message}`);
  const held = rolloutHeld(st);
  if (held) parts.push(`${held.reason}: ${held.message}`);
  return parts.join(', ');
}
