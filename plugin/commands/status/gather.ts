// Reads everything `status NAME` shows, in parallel, keeping whatever arrives: only the EtcdCluster itself
// is required; pods, Events and each member's figures that fail become lines of "Could not read".
import type { Connection } from '../../kube/connection.js';
import { KubeError } from '../../kube/http.js';
import { getCluster, listEvents, listPods, MEMBER_TIMEOUT_MS, memberStatus, type EtcdStatusResponse } from '../../kube/resources.js';
import { explain } from '../../cli/explain.js';
import { buildView, type ClusterView } from './view.js';

export function clusterLabel(ns: string, name: string): string {
  return `EtcdCluster "${name}" in namespace "${ns}"`;
}

export async function gatherView(conn: Connection, ns: string, name: string): Promise<ClusterView> {
  const unreadable: string[] = [];
  const soft = <T>(what: string, p: Promise<T>, deadlineMs?: number): Promise<T | undefined> =>
    p.catch((e: unknown) => {
      const why = deadlineMs !== undefined && e instanceof KubeError && e.kind === 'Timeout' ? `no answer within ${deadlineMs} ms` : explain(e).message;
      unreadable.push(`${what}: ${why}`);
      return undefined;
    });
  const podsP = soft('pods', listPods(conn, ns, name));
  const eventsP = soft('events', listEvents(conn, ns, name));
  let cluster;
  try {
    cluster = await getCluster(conn, ns, name);
  } catch (e) {
    // Settle the side reads so no rejection goes unhandled.
    await Promise.all([podsP, eventsP]);
    throw explain(e, clusterLabel(ns, name));
  }
  const pods = await podsP;
  // Ask each member whose pod runs, each with a short deadline (a member down or still starting is listed as
  // not answering, and holds nothing up); a learner whose pod does not exist yet has nothing to ask.
  const running = new Set((pods ?? []).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).map((p) => p.metadata.name));
  const targets = (cluster.status?.members ?? []).map((m) => m.name).filter((n) => pods === undefined || running.has(n));
  const live = new Map<string, EtcdStatusResponse>();
  await Promise.all(targets.map(async (member) => {
    const s = await soft(`${member} (etcd status via the pod proxy)`, memberStatus(conn, ns, member), MEMBER_TIMEOUT_MS);
    if (s) live.set(member, s);
  }));
  const events = await eventsP;
  return buildView({ cluster, pods, events, live, unreadable: unreadable.sort(), now: new Date() });
}
