// Reads everything `status NAME` shows, in parallel, keeping whatever arrives: only the EtcdCluster itself
// is required (it carries each member's figures as the controller read them); pods and Events that fail
// become lines of "Could not read".
import type { Connection } from '../../kube/connection.js';
import { getCluster, listEvents, listPods } from '../../kube/resources.js';
import { explain } from '../../cli/explain.js';
import { buildView, type ClusterView } from './view.js';

export function clusterLabel(ns: string, name: string): string {
  return `EtcdCluster "${name}" in namespace "${ns}"`;
}

export async function gatherView(conn: Connection, ns: string, name: string): Promise<ClusterView> {
  const unreadable: string[] = [];
  const soft = <T>(what: string, p: Promise<T>): Promise<T | undefined> =>
    p.catch((e: unknown) => {
      unreadable.push(`${what}: ${explain(e).message}`);
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
  const [pods, events] = await Promise.all([podsP, eventsP]);
  return buildView({ cluster, pods, events, unreadable: unreadable.sort(), now: new Date() });
}
