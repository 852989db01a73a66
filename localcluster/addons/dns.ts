// Cluster DNS records from Services and Endpoints (watched), as CoreDNS would serve them, written as hosts
// files: one in dnsmasq's --hostsdir (pods resolve through the kubelet's clusterDNS), and the pod names
// again as tagged /etc/hosts lines, so processes on the host (tests, a controller run from the checkout)
// reach members by the same names.
//   SVC.NS.svc.DOMAIN            -> the ClusterIP, or for a headless Service every address in its Endpoints
//   HOST.SVC.NS.svc[.DOMAIN]     -> an address with a hostname (StatefulSet pods with spec.subdomain; ready
//                                   ones, or all of them with publishNotReadyAddresses)
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { V1Endpoints, V1Service } from '@kubernetes/client-node';
import { type HostsFile } from './hosts.js';
import { type Clients, startInformer, type WatchedCache } from './kube.js';
import type { Logger } from '../../core/log.js';

export interface DnsRecords {
  /** Lines of the cluster DNS hosts file. */
  cluster: string[];
  /** Lines for the host's /etc/hosts: pod names only (ClusterIPs are not routed on the host). */
  host: string[];
}

function lines(names: Map<string, Set<string>>): string[] {
  return [...names].map(([ip, set]) => `${ip} ${[...set].sort().join(' ')}`).sort();
}

export function dnsRecords(services: readonly V1Service[], endpoints: readonly V1Endpoints[], domain: string): DnsRecords {
  const cluster = new Map<string, Set<string>>();
  const host = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, ip: string, ...names: string[]) => {
    const set = map.get(ip) ?? new Set<string>();
    for (const n of names) set.add(n);
    map.set(ip, set);
  };
  const headless = new Set<string>();
  for (const s of services) {
    const ns = s.metadata?.namespace, name = s.metadata?.name, ip = s.spec?.clusterIP;
    if (!ns || !name || !ip) continue;
    if (ip === 'None') headless.add(`${ns}/${name}`);
    else add(cluster, ip, `${name}.${ns}.svc.${domain}`);
  }
  for (const ep of endpoints) {
    const ns = ep.metadata?.namespace, svc = ep.metadata?.name;
    if (!ns || !svc || !headless.has(`${ns}/${svc}`)) continue;
    for (const subset of ep.subsets ?? []) {
      for (const addr of subset.addresses ?? []) {
        add(cluster, addr.ip, `${svc}.${ns}.svc.${domain}`);
        if (!addr.hostname) continue;
        const pod = `${addr.hostname}.${svc}.${ns}.svc`;
        add(cluster, addr.ip, pod, `${pod}.${domain}`);
        add(host, addr.ip, pod, `${pod}.${domain}`);
      }
    }
  }
  return { cluster: lines(cluster), host: lines(host) };
}

/** dnsmasq reads every file of its hostsdir: the new content is renamed in whole, never seen half-written. */
export function writeDnsFile(dir: string, content: string): void {
  const file = join(dir, 'cluster.hosts');
  const tmp = join(dirname(dir), '.cluster.hosts.tmp');
  mkdirSync(dir, { recursive: true });
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export class ClusterDns {
  private services?: WatchedCache<V1Service>;
  private endpoints?: WatchedCache<V1Endpoints>;
  private written?: string;

  constructor(private readonly clients: Clients, private readonly dnsDir: string, private readonly domain: string,
    private readonly hosts: HostsFile, private readonly log: Logger) {}

  start(): void {
    const { kc, core } = this.clients;
    this.services = startInformer<V1Service>(kc, '/api/v1/services', () => core.listServiceForAllNamespaces(), this.log);
    this.endpoints = startInformer<V1Endpoints>(kc, '/api/v1/endpoints', () => core.listEndpointsForAllNamespaces(), this.log);
    for (const inf of [this.services, this.endpoints] as WatchedCache<V1Service | V1Endpoints>[]) {
      for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, () => { void this.sync(); });
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.services?.stop(), this.endpoints?.stop()]);
    await this.hosts.replace([]);
  }

  private async sync(): Promise<void> {
    const records = dnsRecords(this.services?.list() ?? [], this.endpoints?.list() ?? [], this.domain);
    const content = records.cluster.length ? `${records.cluster.join('\n')}\n` : '';
    if (content !== this.written) {
      try {
        writeDnsFile(this.dnsDir, content);
        this.written = content;
      } catch (err) {
        this.log.error({ err: String(err) }, 'writing the cluster DNS records failed');
      }
    }
    await this.hosts.replace(records.host);
  }
}
