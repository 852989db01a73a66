// The API server's answer to a request made with an annotation on the EtcdCluster (replace, recover), as a
// server-side dry run: the webhook's verdict on the live status, its warnings added to the preflight's.
import type { PolicyVerdict } from '../../core/policy.js';
import { explain } from '../cli/explain.js';
import type { Connection } from '../kube/connection.js';
import { KubeError } from '../kube/http.js';
import { patchClusterAnnotations } from '../kube/resources.js';
import type { Verdict } from './scale/plan.js';
import { clusterLabel } from './status/gather.js';

export async function requestVerdict(conn: Connection, ns: string, name: string, key: string, value: string, local: PolicyVerdict): Promise<Verdict> {
  try {
    const dry = await patchClusterAnnotations(conn, ns, name, { [key]: value }, true);
    return { allowed: true, by: 'server', warnings: [...local.warnings, ...dry.warnings.filter((w) => !local.warnings.includes(w))] };
  } catch (e) {
    if (!(e instanceof KubeError && e.kind === 'Denied')) throw explain(e, clusterLabel(ns, name));
    const rule = /denied the request: (V\d+):/.exec(e.message)?.[1];
    return { allowed: false, by: 'server', ...(rule ? { rule } : {}), message: e.message, warnings: [] };
  }
}
