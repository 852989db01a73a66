// The instance description cluster-up.sh writes (addons.json): what the cluster add-ons need to know.
import { readFileSync } from 'node:fs';

export interface AddonsConfig {
  /** Instance name (PVs carry it as a label, so instances never touch each other's volumes). */
  name: string;
  /** The checkout: localcluster/scripts/hosts-set.sh. */
  root: string;
  /** .local/clusters/NAME: nodes/<node>/volumes/ hold the provisioned volumes. */
  stateDir: string;
  /** dnsmasq's --hostsdir: the cluster DNS records, one hosts file written here. */
  dnsDir: string;
  /** Tag of this instance's /etc/hosts lines (pod names for processes on the host). */
  hostsTag: string;
  /** Cluster domain (kubelet clusterDomain). */
  domain: string;
}

const STRING_KEYS = ['name', 'root', 'stateDir', 'dnsDir', 'hostsTag', 'domain'] as const;

export function loadConfig(file: string): AddonsConfig {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const key of STRING_KEYS) {
    if (typeof raw[key] !== 'string' || raw[key] === '') throw new Error(`${file}: "${key}" must be a non-empty string`);
  }
  return raw as unknown as AddonsConfig;
}
