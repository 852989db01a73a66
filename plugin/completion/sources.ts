// Live completion sources: cluster and namespace names from the API with a short timeout, contexts from
// the kubeconfig. Completion never fails loudly: anything that goes wrong yields no candidates.
import { connect, readKubeConfigFiles } from '../kube/connection.js';
import { kubeRequest } from '../kube/http.js';
import { clusterNames } from '../kube/resources.js';
import type { CompletionSources, Target } from './candidates.js';

const TIMEOUT_MS = 1_500;

export const liveSources: CompletionSources = {
  async clusters(t: Target) {
    try {
      const conn = await connect(t);
      return await clusterNames(conn, t.namespace ?? conn.namespace, TIMEOUT_MS);
    } catch {
      return [];
    }
  },
  async namespaces(t: Target) {
    try {
      const conn = await connect(t);
      const r = await kubeRequest<{ items: { metadata: { name: string } }[] }>(conn, { path: '/api/v1/namespaces', timeoutMs: TIMEOUT_MS });
      return r.body.items.map((n) => n.metadata.name);
    } catch {
      return [];
    }
  },
  contexts(t: Target) {
    try {
      return [...readKubeConfigFiles(t.kubeconfig).contexts.keys()];
    } catch {
      return [];
    }
  },
};
