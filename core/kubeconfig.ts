// One way to find the cluster for every binary: an explicit --kubeconfig, else in-cluster (ServiceAccount),
// else what kubectl would use ($KUBECONFIG, ~/.kube/config) with an optional --context.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  /** Prefer the in-cluster ServiceAccount when no file is named (controller, webhook). */
  preferInCluster?: boolean;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) {
    kc.loadFromFile(opts.kubeconfig);
  } else if (opts.preferInCluster && process.env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new Error(`context "${opts.context}" not found in kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  return kc;
}

/** The namespace kubectl would use: the current context's, else "default". */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}
