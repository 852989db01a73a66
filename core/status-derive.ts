// status of an EtcdCluster, pure: derived on every pass from what was observed and the step chosen, so it
// never freezes at a last good value. READY counts voting members etcd reports healthy whose pod is Ready.
import { selectorFor, type Condition, type EtcdClusterStatus, type LastResize, type MemberStatus, type Phase } from './api.js';
import { findCondition } from './conditions.js';
import { byOrdinal, quorum } from './quorum.js';
import type { ResizeRecord } from './resize-record.js';
import { isProgressStep, type Observed, type Step } from './reconcile-step.js';

export interface StatusInput {
  observed: Observed;
  step: Step;
  /** Who asked for the resize to spec.size (webhook annotations or the ResizeRequested Event), if known. */
  resize?: ResizeRecord;
}

function members(o: Observed): MemberStatus[] {
  const seen = o.etcd.members;
  if (!seen) {
    // Unknown now: keep the last list but never claim health we cannot see.
    return (o.cluster.status?.members ?? []).map((m) => ({ ...m, healthy: false }));
  }
  return byOrdinal(
    seen.map((m) => ({ name: m.name, id: m.id, peerURL: m.peerURL, clientURL: m.clientURL, isLearner: m.isLearner, healthy: m.healthy })),
  );
}

function phaseOf(o: Observed, step: Step, list: MemberStatus[], everRunning: boolean): Phase {
  if (!o.statefulSet && !list.length) return 'Pending';
  const voting = list.filter((m) => !m.isLearner);
  const healthy = voting.filter((m) => m.healthy);
  if (list.length && (!o.etcd.authoritative || healthy.length < quorum(voting.length))) return everRunning ? 'Failed' : 'Creating';
  if (step.kind === 'blocked' || healthy.length < voting.length) return everRunning ? 'Degraded' : 'Creating';
  if (isProgressStep(step) || voting.length !== o.cluster.spec.size) return everRunning ? 'Scaling' : 'Creating';
  return 'Running';
}

function stepMessage(step: Step): string {
  switch (step.kind) {
    case 'add-learner':
      return `adding ${step.name} as a learner`;
    case 'promote':
      return `promoting learner ${step.member.name} once it has caught up`;
    case 'move-leader':
      return `moving leadership from ${step.from.name} to ${step.to.name}`;
    case 'remove-member':
      return `removing ${step.member.name}: ${step.message}`;
    case 'write-member-entries':
    case 'scale-statefulset':
    case 'delete-pvc':
    case 'wait':
    case 'blocked':
      return step.message;
    case 'create-statefulset':
      return 'creating the StatefulSet';
    default:
      return step.kind;
  }
}

function condition(type: string, status: Condition['status'], reason: string, message: string, generation: number | undefined, prev: EtcdClusterStatus | undefined, now: string): Condition {
  const old = findCondition(prev, type);
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : now;
  return { type, status, reason, message, lastTransitionTime, observedGeneration: generation };
}

function lastResize(o: Observed, resize: ResizeRecord | undefined, everRunning: boolean, settled: boolean, size: number, now: string): LastResize | undefined {
  const prev = o.cluster.status?.lastResize;
  const to = o.cluster.spec.size;
  let next: LastResize | undefined;
  if (resize && resize.to === to) {
    next = { from: resize.from, to, requestedBy: resize.requestedBy, startedAt: resize.requestedAt };
  } else if (prev && prev.to === to) {
    next = { ...prev };
  } else if (everRunning && o.cluster.status?.size !== undefined && o.cluster.status.size !== to) {
    // No record of who asked: the size etcd had is where the resize started (growing to the first size is no resize).
    next = { from: o.cluster.status.size, to, startedAt: now };
  } else {
    return prev;
  }
  const samePrev = prev && prev.to === next.to && prev.from === next.from && prev.startedAt === next.startedAt;
  if (samePrev && prev.completedAt) next.completedAt = prev.completedAt;
  else if (settled && size === to) next.completedAt = now;
  else delete next.completedAt;
  if (next.requestedBy === undefined) delete next.requestedBy;
  if (next.startedAt === undefined) delete next.startedAt;
  return next;
}

export function deriveStatus({ observed: o, step, resize }: StatusInput, now: string): EtcdClusterStatus {
  const prev = o.cluster.status;
  const gen = o.cluster.metadata.generation;
  const list = members(o);
  const voting = list.filter((m) => !m.isLearner);
  const healthyVoting = voting.filter((m) => m.healthy);
  const readyPods = new Set(o.pods.filter((p) => p.ready && !p.deleting).map((p) => p.name));
  const everRunning = !!prev?.phase && !['Pending', 'Creating'].includes(prev.phase);
  const phase = phaseOf(o, step, list, everRunning);
  const leader = o.etcd.authoritative ? list.find((m) => m.id === o.etcd.leaderId)?.name : undefined;
  const settled = phase === 'Running';

  const available =
    leader && healthyVoting.length >= quorum(voting.length)
      ? condition('Available', 'True', 'QuorumHealthy', `${healthyVoting.length} of ${voting.length} voting members healthy, leader ${leader}`, gen, prev, now)
      : condition('Available', 'False', o.etcd.members ? 'QuorumLost' : 'EtcdUnreachable', o.etcd.problem ?? `${healthyVoting.length} of ${voting.length} voting members healthy`, gen, prev, now);
  const progressing = isProgressStep(step)
    ? condition('Progressing', 'True', everRunning ? 'Resizing' : 'Creating', `${voting.length} -> ${o.cluster.spec.size}: ${stepMessage(step)}`, gen, prev, now)
    : condition('Progressing', 'False', voting.length === o.cluster.spec.size ? 'SizeReached' : 'Stalled', voting.length === o.cluster.spec.size ? `${voting.length} voting members as wanted` : stepMessage(step), gen, prev, now);
  // A learner not caught up yet is a resize in progress, not a degradation.
  const unhealthy = voting.filter((m) => !m.healthy).map((m) => m.name);
  const degraded =
    step.kind === 'blocked'
      ? condition('Degraded', 'True', step.reason, step.message, gen, prev, now)
      : unhealthy.length
        ? condition('Degraded', 'True', 'MemberUnhealthy', `unhealthy: ${unhealthy.join(', ')}`, gen, prev, now)
        : condition('Degraded', 'False', 'AllMembersHealthy', 'every member is healthy', gen, prev, now);

  const status: EtcdClusterStatus = {
    observedGeneration: gen,
    phase,
    size: voting.length,
    readyReplicas: healthyVoting.filter((m) => readyPods.has(m.name)).length,
    members: list,
    conditions: [available, progressing, degraded],
    selector: selectorFor(o.cluster.metadata.name!),
  };
  if (leader) status.leader = leader;
  const lr = lastResize(o, resize, everRunning, settled, voting.length, now);
  if (lr) status.lastResize = lr;
  return status;
}

/** Equal for the purpose of writing: lastTransitionTime churn alone is not a change. */
export function statusEqual(a: EtcdClusterStatus | undefined, b: EtcdClusterStatus | undefined): boolean {
  const strip = (s: EtcdClusterStatus | undefined) =>
    JSON.stringify(s ? { ...s, conditions: s.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) } : {}, sortKeys);
  return strip(a) === strip(b);
}

/** Key order and undefined members do not make two statuses different. */
function sortKeys(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  }
  return value;
}
