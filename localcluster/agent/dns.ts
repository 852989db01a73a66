// Keeps the pod DNS lines of /etc/hosts in step with headless Services' Endpoints (watched) and with the
// pods this agent runs: a pod's name resolves while it has an address here and the Endpoints list it.
import type { V1Endpoints, V1Service } from '@kubernetes/client-node';
import { type HostsFile, podDnsLines } from './hosts.js';
import { type Clients, startInformer, type WatchedCache } from './kube.js';
import type { Logger } from '../../core/log.js';

export class PodDns {
  private readonly live = new Set<string>();
  private services?: WatchedCache<V1Service>;
  private endpoints?: WatchedCache<V1Endpoints>;

  constructor(private readonly clients: Clients, private readonly hosts: HostsFile, private readonly log: Logger) {}

  start(): void {
    const { kc, core } = this.clients;
    this.services = startInformer<V1Service>(kc, '/api/v1/services', () => core.listServiceForAllNamespaces(), this.log);
    this.endpoints = startInformer<V1Endpoints>(kc, '/api/v1/endpoints', () => core.listEndpointsForAllNamespaces(), this.log);
    for (const inf of [this.services, this.endpoints] as WatchedCache<V1Service | V1Endpoints>[]) {
      for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, () => { void this.sync(); });
    }
  }

  /** A pod's address is up: its names may be served. */
  addPod(ip: string): Promise<void> {
    this.live.add(ip);
    return this.sync();
  }

  /** A pod's address goes: its names are gone from /etc/hosts when this resolves. */
  removePod(ip: string): Promise<void> {
    this.live.delete(ip);
    return this.sync();
  }

  async stop(): Promise<void> {
    await Promise.all([this.services?.stop(), this.endpoints?.stop()]);
    this.live.clear();
    await this.hosts.replace([]);
  }

  private sync(): Promise<void> {
    const headless = (ns: string, name: string): boolean => this.services?.get(name, ns)?.spec?.clusterIP === 'None';
    return this.hosts.replace(podDnsLines(this.endpoints?.list() ?? [], headless, this.live));
  }
}
