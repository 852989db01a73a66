// `status -o json|yaml`: the EtcdCluster's status exactly as stored, next to what `status` derives from it and
// the cluster's pods and Events (each member's figures with readAt, when the controller read them).
import { API_VERSION } from '../../../core/api.js';
import type { ClusterView } from './view.js';

export const REPORT_KIND = 'EtcdClusterStatusReport';

export function statusReport(v: ClusterView) {
  const { metadata: m, spec, status } = v.cluster;
  return {
    apiVersion: API_VERSION,
    kind: REPORT_KIND,
    metadata: { name: m.name, namespace: m.namespace, generation: m.generation, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec,
    status,
    quorum: { voting: v.voting, healthyVoting: v.healthyVoting, quorum: v.quorum, tolerates: v.tolerates },
    leader: v.leader ?? null,
    members: v.members,
    warnings: v.warnings,
    events: v.events.map((e) => ({ type: e.type, reason: e.reason, message: e.message, count: e.count, lastTimestamp: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp })),
    couldNotRead: v.unreadable,
  };
}
