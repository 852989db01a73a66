// Downward API field values (env fieldRef and downwardAPI volume items), as the kubelet resolves them.
import type { V1Pod } from '@kubernetes/client-node';

export class PodConfigError extends Error {}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((k) => `${k}=${JSON.stringify(map![k])}`).join('\n');
}

/** The value of a fieldRef path for this pod; hostIP and podIP come from the agent (status may lag). */
export function fieldValue(pod: V1Pod, fieldPath: string, addrs: { podIP: string; hostIP: string }): string {
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP': case 'status.podIPs': return addrs.podIP;
    case 'status.hostIP': return addrs.hostIP;
    default: throw new PodConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
  }
}
