// A pod of an etcd member as the decisions need it (core/reconcile-step.ts ObservedPod): readiness, client
// traffic, and what a repair must know (the member guard's verdict, scheduling, a deletion that hangs).
import type { V1ContainerStateTerminated, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { SERVING_CHANGED_AT_ANNOTATION, SERVING_LABEL, TEMPLATE_HASH_ANNOTATION } from '../core/api.js';
import { GUARD_EXIT, type GuardRefusal } from '../core/member-guard.js';
import type { ObservedPod } from '../core/reconcile-step.js';

export const GUARD_CONTAINER = 'member-guard';
export const ETCD_CONTAINER = 'etcd';

const ms = (t: Date | string | undefined): number | undefined => {
  const v = t === undefined ? Number.NaN : Date.parse(String(t instanceof Date ? t.toISOString() : t));
  return Number.isNaN(v) ? undefined : v;
};

const REFUSAL_BY_EXIT = new Map<number, GuardRefusal>(Object.entries(GUARD_EXIT).map(([r, code]) => [code, r as GuardRefusal]));

/** The guard's most recent run, when it ended in a refusal (exit code of GUARD_EXIT, message "Reason: words"). */
function guardRefusal(p: V1Pod): ObservedPod['guardRefusal'] {
  const s = p.status?.initContainerStatuses?.find((c) => c.name === GUARD_CONTAINER);
  if (!s || s.state?.running) return undefined;
  const last: V1ContainerStateTerminated | undefined = s.state?.terminated ?? s.lastState?.terminated;
  const reason = last ? REFUSAL_BY_EXIT.get(last.exitCode) : undefined;
  if (!reason) return undefined;
  const message = (last?.message ?? '').replace(new RegExp(`^${reason}: `), '').trim();
  return { reason, message: message || `the member guard refused (exit ${last!.exitCode})` };
}

function trouble(p: V1Pod): string | undefined {
  const sched = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (sched?.status === 'False') return `${sched.reason ?? 'Unschedulable'}${sched.message ? `: ${sched.message}` : ''}`;
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const waiting = statuses.find((c) => c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing');
  if (waiting) return `${waiting.name}: ${waiting.state!.waiting!.reason}`;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && ready.reason) return `${ready.reason}${ready.message ? `: ${ready.message}` : ''}`;
  return undefined;
}

/** When the etcd container of a pod being deleted stopped: its exit, else (not run since) when the deletion was asked. */
function stoppedAt(p: V1Pod, etcd: V1ContainerStatus | undefined): number | undefined {
  const exited = ms(etcd?.state?.terminated?.finishedAt);
  if (exited !== undefined) return exited;
  const deadline = ms(p.metadata?.deletionTimestamp);
  return deadline === undefined ? undefined : deadline - 1000 * (p.metadata?.deletionGracePeriodSeconds ?? 0);
}

export function observePod(p: V1Pod, ordinal: number, endpointPods: Set<string | undefined> | undefined): ObservedPod {
  const name = p.metadata!.name!;
  const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const sched = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const etcd = p.status?.containerStatuses?.find((c) => c.name === ETCD_CONTAINER);
  const pod: ObservedPod = {
    name,
    ordinal,
    ready,
    deleting: !!p.metadata?.deletionTimestamp,
    serving: p.metadata?.labels?.[SERVING_LABEL] === 'true',
    servingChangedAt: ms(p.metadata?.annotations?.[SERVING_CHANGED_AT_ANNOTATION]),
    inClientEndpoints: endpointPods?.has(name),
    createdAt: ms(p.metadata?.creationTimestamp),
    etcdStartedAt: etcd?.state?.running ? ms(etcd.state.running.startedAt) : undefined,
    guardRefusal: guardRefusal(p),
    unschedulableSince: sched?.status === 'False' ? ms(sched.lastTransitionTime) : undefined,
    deletionDeadline: ms(p.metadata?.deletionTimestamp),
    etcdStoppedAt: p.metadata?.deletionTimestamp && !etcd?.state?.running ? stoppedAt(p, etcd) : undefined,
    trouble: ready ? undefined : trouble(p),
    templateHash: p.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION],
  };
  for (const k of Object.keys(pod) as (keyof ObservedPod)[]) if (pod[k] === undefined) delete pod[k];
  return pod;
}
