// `kubectl etcd snapshot NAME`: asks the controller for a snapshot now (annotation snapshot-requested: the time,
// RFC 3339 with ms) and follows the EtcdCluster until a snapshot or an error in status.backup names that time.
// A request not served yet is waited for, not repeated. Denied (S1) without spec.backup: there is no volume.
import { Annotations } from '../../../core/api.js';
import { CliError, ExitCode } from '../../cli/errors.js';
import { explain } from '../../cli/explain.js';
import { follow, readCluster, timeoutOf } from '../../cli/guided.js';
import { err, out } from '../../cli/output.js';
import type { GlobalArgs } from '../../cli/session.js';
import { patchClusterAnnotations } from '../../kube/resources.js';
import { failedText, noBackupDenial, pendingRequest, servedBy, takenLine } from './request.js';

export interface SnapshotArgs extends GlobalArgs {
  name: string;
  timeout: string;
}

export async function runSnapshot(args: SnapshotArgs): Promise<void> {
  const timeoutMs = timeoutOf(args.timeout);
  const { conn, ns, label, cluster } = await readCluster(args);
  const name = args.name;
  if (!cluster.spec.backup) throw new CliError(noBackupDenial(ns, name), ExitCode.denied);

  let at = pendingRequest(cluster);
  let first = cluster;
  if (at) err(`${name}: a snapshot requested at ${at} is not taken yet; waiting for that one instead of asking again`);
  else {
    at = new Date().toISOString();
    first = (await patchClusterAnnotations(conn, ns, name, { [Annotations.snapshotRequested]: at }, false).catch((e: unknown) => { throw explain(e, label); })).body;
    err(`${name}: snapshot requested (${at})`);
  }
  const request = at;
  const final = await follow({
    conn, namespace: ns, name, timeoutMs, goal: `the snapshot of ${name}`, operation: 'the snapshot', noun: 'the snapshot',
    done: (x) => servedBy(x.status?.backup, request) !== undefined,
    line: () => `waiting for the snapshot Job (requested at ${request})`,
    next: `the request stays queued on ${name} and the controller takes the snapshot when it can: follow it with kubectl etcd snapshots ${name} -n ${ns}`,
  }, first);
  const served = servedBy(final.status?.backup, request)!;
  if ('error' in served) throw new CliError(failedText(ns, name, served.error));
  out(takenLine(name, served.snapshot));
}
