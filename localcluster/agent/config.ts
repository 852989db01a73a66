// The instance description cluster-up.sh writes (agent.json): names and addresses of one local-cluster slot.
import { readFileSync } from 'node:fs';

export interface AgentConfig {
  name: string;
  nodeName: string;
  /** The checkout: bin/<entry point> for operator-image containers, scripts/ for hosts-set.sh. */
  root: string;
  stateDir: string;
  bridge: string;
  /** Pod subnet, e.g. 10.244.16.0/20; its last /24 is the Service ClusterIP range. */
  subnet: string;
  gateway: string;
  serviceCidr: string;
  apiServerPort: number;
  netnsPrefix: string;
  vethPrefix: string;
  hostsTag: string;
}

const STRING_KEYS = ['name', 'nodeName', 'root', 'stateDir', 'bridge', 'subnet', 'gateway', 'serviceCidr',
  'netnsPrefix', 'vethPrefix', 'hostsTag'] as const;

export function loadConfig(file: string): AgentConfig {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const key of STRING_KEYS) {
    if (typeof raw[key] !== 'string' || raw[key] === '') throw new Error(`${file}: "${key}" must be a non-empty string`);
  }
  if (!Number.isInteger(raw.apiServerPort)) throw new Error(`${file}: "apiServerPort" must be an integer`);
  return raw as unknown as AgentConfig;
}
