// `kubectl etcd list` (and `status` without NAME).
import { API_VERSION } from '../../../core/api.js';
import { explain } from '../../cli/explain.js';
import { colorsFor, err, formatData, out } from '../../cli/output.js';
import { openSession, type GlobalArgs } from '../../cli/session.js';
import { listClusters } from '../../kube/resources.js';
import { renderList } from './render.js';

export async function runList(args: GlobalArgs): Promise<void> {
  const { conn, namespace } = await openSession(args);
  const ns = args.allNamespaces ? undefined : namespace;
  const clusters = await listClusters(conn, ns).catch((e: unknown) => { throw explain(e); });
  if (args.output === 'json' || args.output === 'yaml') {
    process.stdout.write(await formatData({ apiVersion: 'v1', kind: 'List', items: clusters.map((c) => ({ apiVersion: API_VERSION, kind: 'EtcdCluster', ...c })) }, args.output));
    return;
  }
  if (clusters.length === 0) {
    err(ns === undefined ? 'No EtcdClusters found.' : `No EtcdClusters found in namespace "${ns}" (every namespace: kubectl etcd list -A).`);
    return;
  }
  out(renderList(clusters, { allNamespaces: ns === undefined, wide: args.output === 'wide', colors: colorsFor(args.color, process.stdout), now: new Date() }).join('\n'));
}
