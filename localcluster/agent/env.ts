// A container's environment as the kubelet builds it: base variables, envFrom, then env in order, with
// $(VAR) expansion against what is defined before, fieldRef values and Secret/ConfigMap keys.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { expandVars } from './expand.js';
import { fieldValue, PodConfigError } from './fields.js';
import { type Clients, describeError, isNotFound } from './kube.js';

export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Source = { kind: 'Secret' | 'ConfigMap'; name: string };

/** Reads Secrets and ConfigMaps once per container start; missing ones are config errors (or skipped if optional). */
export class RefReader {
  private readonly cache = new Map<string, Record<string, string> | null>();

  constructor(private readonly clients: Clients, private readonly namespace: string) {}

  /** Key -> UTF-8 value; null when the object does not exist. */
  async read(src: Source): Promise<Record<string, string> | null> {
    const key = `${src.kind}/${src.name}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    let data: Record<string, string> | null;
    try {
      if (src.kind === 'Secret') {
        const s = await this.clients.core.readNamespacedSecret({ name: src.name, namespace: this.namespace });
        data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      } else {
        const c = await this.clients.core.readNamespacedConfigMap({ name: src.name, namespace: this.namespace });
        data = { ...Object.fromEntries(Object.entries(c.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])), ...(c.data ?? {}) };
      }
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`reading ${src.kind} ${src.name}: ${describeError(err)}`);
      data = null;
    }
    this.cache.set(key, data);
    return data;
  }

  async key(src: Source, key: string, optional: boolean | undefined): Promise<string | undefined> {
    const data = await this.read(src);
    if (data === null) {
      if (optional) return undefined;
      throw new PodConfigError(`${src.kind.toLowerCase()} "${src.name}" not found`);
    }
    if (!(key in data)) {
      if (optional) return undefined;
      throw new PodConfigError(`couldn't find key ${key} in ${src.kind} ${this.namespace}/${src.name}`);
    }
    return data[key];
  }
}

export async function containerEnv(pod: V1Pod, container: V1Container, cfg: AgentConfig, podIP: string,
  refs: RefReader): Promise<Map<string, string>> {
  const apiHost = cfg.gateway, apiPort = String(cfg.apiServerPort);
  const env = new Map<string, string>([
    ['PATH', CONTAINER_PATH],
    ['HOME', '/root'],
    ['HOSTNAME', pod.spec?.hostname ?? pod.metadata?.name ?? ''],
    // The API server's own address: Service ClusterIPs are not routed in the local cluster.
    ['KUBERNETES_SERVICE_HOST', apiHost],
    ['KUBERNETES_SERVICE_PORT', apiPort],
    ['KUBERNETES_SERVICE_PORT_HTTPS', apiPort],
    ['KUBERNETES_PORT', `tcp://${apiHost}:${apiPort}`],
    ['KUBERNETES_PORT_443_TCP', `tcp://${apiHost}:${apiPort}`],
    ['KUBERNETES_PORT_443_TCP_PROTO', 'tcp'],
    ['KUBERNETES_PORT_443_TCP_ADDR', apiHost],
    ['KUBERNETES_PORT_443_TCP_PORT', apiPort],
  ]);
  for (const from of container.envFrom ?? []) {
    const src: Source | undefined = from.configMapRef ? { kind: 'ConfigMap', name: from.configMapRef.name! }
      : from.secretRef ? { kind: 'Secret', name: from.secretRef.name! } : undefined;
    if (!src) continue;
    const data = await refs.read(src);
    if (data === null) {
      if (from.configMapRef?.optional || from.secretRef?.optional) continue;
      throw new PodConfigError(`${src.kind.toLowerCase()} "${src.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env.set(`${from.prefix ?? ''}${k}`, v);
  }
  const addrs = { podIP, hostIP: cfg.gateway };
  for (const e of container.env ?? []) {
    const vf = e.valueFrom;
    let value: string | undefined;
    if (!vf) value = expandVars(e.value ?? '', env);
    else if (vf.fieldRef) value = fieldValue(pod, vf.fieldRef.fieldPath, addrs);
    else if (vf.secretKeyRef) value = await refs.key({ kind: 'Secret', name: vf.secretKeyRef.name! }, vf.secretKeyRef.key, vf.secretKeyRef.optional);
    else if (vf.configMapKeyRef) value = await refs.key({ kind: 'ConfigMap', name: vf.configMapKeyRef.name! }, vf.configMapKeyRef.key, vf.configMapKeyRef.optional);
    else throw new PodConfigError(`env ${e.name}: only value, fieldRef, secretKeyRef and configMapKeyRef are supported by the local node agent`);
    if (value !== undefined) env.set(e.name, value);
  }
  return env;
}
