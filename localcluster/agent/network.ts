// A pod's network, as a CNI bridge plugin makes it: its own network namespace, a veth pair with eth0 inside
// and the host end on the instance's bridge, an address in the pod subnet. No default route: pods reach the
// pod subnet (and the API server on the bridge address) and nothing else.
import { readdirSync } from 'node:fs';
import type { AgentConfig } from './config.js';
import { run } from './exec.js';

export interface PodNetwork {
  netns: string;
  veth: string;
  ip: string;
}

/** Names derived from the pod UID: unique per pod, recognisable per instance (prefixes carry the slot). */
export function networkNames(cfg: AgentConfig, uid: string): { netns: string; veth: string } {
  const id = uid.replace(/-/g, '');
  return { netns: `${cfg.netnsPrefix}${id.slice(0, 16)}`, veth: `${cfg.vethPrefix}${id.slice(0, 15 - cfg.vethPrefix.length)}` };
}

export async function createPodNetwork(cfg: AgentConfig, uid: string, ip: string, prefix: number): Promise<PodNetwork> {
  const { netns, veth } = networkNames(cfg, uid);
  await deletePodNetwork({ netns, veth });
  await run('ip', ['netns', 'add', netns]);
  try {
    await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await run('ip', ['link', 'set', veth, 'master', cfg.bridge, 'up']);
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', netns, 'addr', 'add', `${ip}/${prefix}`, 'dev', 'eth0']);
    await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  } catch (err) {
    await deletePodNetwork({ netns, veth });
    throw err;
  }
  return { netns, veth, ip };
}

/** Removes the veth (synchronously, not when the kernel gets round to the netns) and the netns; idempotent. */
export async function deletePodNetwork(net: Pick<PodNetwork, 'netns' | 'veth'>): Promise<void> {
  await run('ip', ['link', 'delete', net.veth]).catch(() => undefined);
  await run('ip', ['netns', 'delete', net.netns]).catch(() => undefined);
}

/** Network namespaces of this instance left by an earlier agent run. */
export function leftoverNetns(cfg: AgentConfig): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(cfg.netnsPrefix));
  } catch {
    return [];
  }
}
