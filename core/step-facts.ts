// What every decision past bootstrap is stated in (core/reconcile-step.ts and core/repair.ts): etcd's member
// list as known this pass, the controller's own members among it, and the client-traffic drain a member
// goes through before it leaves. Pure.
import type { Observed, ObservedMember, Step } from './reconcile-step.js';

/**
 * How long a leaving member keeps running after it left the client Service before leadership moves off it
 * and it is removed: consumers of Endpoints (kube-proxy, client-side resolvers) need a moment to stop
 * sending new requests to it.
 */
export const CLIENT_DRAIN_MS = 1500;
const DRAIN_POLL_MS = 100;

/** A member whose peer URL this controller names, with its ordinal. */
export type Ours = ObservedMember & { ordinal: number };

export interface Known {
  o: Observed;
  name: string;
  namespace: string;
  size: number;
  members: ObservedMember[];
  /** This controller's members (peer URLs it names). */
  mine: Ours[];
  voting: ObservedMember[];
  replicasForMembers: number;
  statefulSet: { replicas: number };
}

export function ours(members: ObservedMember[]): Ours[] {
  return members.filter((m): m is Ours => m.ordinal !== undefined);
}

export function known(o: Observed, members: ObservedMember[]): Known {
  const mine = ours(members);
  return {
    o,
    name: o.cluster.metadata.name!,
    namespace: o.cluster.metadata.namespace!,
    size: o.cluster.spec.size,
    members,
    mine,
    voting: members.filter((m) => !m.isLearner),
    replicasForMembers: mine.length ? Math.max(...mine.map((m) => m.ordinal)) + 1 : 0,
    statefulSet: o.statefulSet!,
  };
}

export const names = (ms: { name: string }[]) => ms.map((m) => m.name).join(', ');

/**
 * A leaving member's pod is out of the client Service (label off) before it goes; wait until the Endpoints
 * no longer list it and CLIENT_DRAIN_MS have passed since the label came off, so clients stop sending to
 * it before it is removed. A pod already deleting, or none, has nothing to drain.
 */
export function drainWait(o: Observed, victim: Ours): Step | undefined {
  const pod = o.pods.find((p) => p.ordinal === victim.ordinal);
  if (!pod || pod.deleting || pod.serving) return undefined;
  if (pod.inClientEndpoints) {
    return { kind: 'wait', reason: 'DrainingClientTraffic', message: `waiting for ${pod.name} to leave the client Service's endpoints before it is removed`, requeueMs: DRAIN_POLL_MS };
  }
  const left = pod.servingChangedAt === undefined ? 0 : CLIENT_DRAIN_MS - (o.now - pod.servingChangedAt);
  if (left > 0) {
    return { kind: 'wait', reason: 'DrainingClientTraffic', message: `${pod.name} left client traffic; removing it in ${(left / 1000).toFixed(1)} s`, requeueMs: Math.ceil(left) };
  }
  return undefined;
}
