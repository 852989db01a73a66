// `kubectl etcd snapshots NAME`: the snapshots in PVC NAME-backups as status.backup records them. Reads the
// EtcdCluster only (get etcdclusters: the viewer role), never the volume.
import { colorsFor, formatData, out } from '../../cli/output.js';
import type { GlobalArgs } from '../../cli/session.js';
import { readCluster } from '../../cli/guided.js';
import { snapshotsText } from './render.js';

export async function runSnapshots(args: GlobalArgs & { name: string }): Promise<void> {
  const { ns, cluster } = await readCluster(args);
  if (args.output === 'json' || args.output === 'yaml') {
    process.stdout.write(await formatData(cluster.status?.backup?.snapshots ?? [], args.output));
    return;
  }
  out(snapshotsText(cluster, ns, new Date(), colorsFor(args.color, process.stdout)).join('\n'));
}
