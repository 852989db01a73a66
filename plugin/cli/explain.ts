// Errors from kubeconfig loading and API requests, turned into messages that say what to do.
import { KubeError } from '../kube/http.js';
import { ConfigError } from '../kube/connection.js';
import { CliError, ExitCode } from './errors.js';

/** Turns what a request threw into a message that says what to do; `what` names the object, e.g. `EtcdCluster "demo" in namespace "ns"`. */
export function explain(e: unknown, what?: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ConfigError) return new CliError(`kubeconfig: ${e.message}`);
  if (e instanceof KubeError) {
    switch (e.kind) {
      case 'Denied': return new CliError(e.message, ExitCode.denied);
      case 'NotFound':
        if (/the server could not find the requested resource/i.test(e.message)) {
          return new CliError('the EtcdCluster CRD (etcdclusters.etcd.k8s-operator.io) is not installed in this cluster: install the operator first (kubectl apply -k manifests/overlays/cert-manager)');
        }
        return new CliError(`${what ?? 'the object'} not found; list the clusters of every namespace with: kubectl etcd list -A`);
      case 'Forbidden': return new CliError(`forbidden: ${e.message}`);
      case 'Unauthorized': return new CliError(`the API server did not accept the credentials of this context (401): ${e.message}`);
      case 'Unreachable': return new CliError(e.message);
      case 'Timeout': return new CliError(`timed out: ${e.message}`);
      default: return new CliError(e.message);
    }
  }
  return new CliError(e instanceof Error ? e.message : String(e));
}
