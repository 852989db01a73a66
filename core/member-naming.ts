// How members, their pods, URLs, PVCs and etcd IDs are named: one place, so the controller's StatefulSet,
// its ConfigMap entries and its reading of etcd's member list always agree.
import type { UrlScheme } from './tls-config.js';

export const CLIENT_PORT = 2379;
export const PEER_PORT = 2380;
/** etcd's metrics listener: /metrics, /health (and /livez from 3.5.11) in plain HTTP, for probes and Prometheus. */
export const METRICS_PORT = 2381;
/** Name of the StatefulSet's volumeClaimTemplate: PVCs are `data-NAME-k`. */
export const DATA_VOLUME = 'data';

export function memberName(cluster: string, ordinal: number): string {
  return `${cluster}-${ordinal}`;
}

/** The pod's DNS name behind the headless Service NAME (hostname + subdomain). */
export function memberHost(cluster: string, namespace: string, ordinal: number): string {
  return `${memberName(cluster, ordinal)}.${cluster}.${namespace}.svc`;
}

/** scheme: 'https' when the cluster runs TLS (core/tls-config.ts). */
export function peerURL(cluster: string, namespace: string, ordinal: number, scheme: UrlScheme = 'http'): string {
  return `${scheme}://${memberHost(cluster, namespace, ordinal)}:${PEER_PORT}`;
}

export function clientURL(cluster: string, namespace: string, ordinal: number, scheme: UrlScheme = 'http'): string {
  return `${scheme}://${memberHost(cluster, namespace, ordinal)}:${CLIENT_PORT}`;
}

export function pvcName(cluster: string, ordinal: number): string {
  return `${DATA_VOLUME}-${memberName(cluster, ordinal)}`;
}

/**
 * The one parser of ordinals: k of a name PREFIX-k (k decimal, no leading zeros), e.g. NAME-k for members and
 * pods, data-NAME-k for PVCs; with no prefix, the number after the last '-'. Undefined when the name has none.
 * Ordinals are compared as numbers, never names as text ("demo-10" sorts after "demo-9").
 */
export function ordinalOf(name: string, prefix?: string): number | undefined {
  const m = /^(.*)-(0|[1-9]\d*)$/.exec(name);
  if (!m || (prefix !== undefined && m[1] !== prefix)) return undefined;
  return Number(m[2]);
}

/** The ordinal of PVC data-NAME-k. */
export function pvcOrdinal(cluster: string, pvc: string): number | undefined {
  return ordinalOf(pvc, `${DATA_VOLUME}-${cluster}`);
}

/**
 * The ordinal a peer URL belongs to, or undefined when the URL is not one this controller names.
 * A learner that has not started yet has no name in etcd's list: its peer URL is its identity.
 */
export function ordinalFromPeerURL(cluster: string, namespace: string, url: string): number | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const [first, ...rest] = host.split('.');
  const domain = rest.join('.');
  const ours = domain === `${cluster}.${namespace}.svc` || domain === `${cluster}.${namespace}.svc.cluster.local`;
  return ours ? ordinalOf(first, cluster) : undefined;
}

/** etcd member IDs are 64-bit: etcd3 gives decimal strings; we show and store 16 lower-case hex digits. */
export function memberIdHex(decimal: string): string {
  return BigInt(decimal).toString(16).padStart(16, '0');
}

export function memberIdDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}
