// A member's start entry: its etcd config file, one key of ConfigMap NAME-members, written by the controller
// once etcd has accepted the member and read by etcd (`--config-file`) and, before it, by the member guard
// (guard/), which keeps a pod from starting etcd on data that is not that member's. The controller's own
// bookkeeping rides along as comments etcd ignores. Pure.
import type { EtcdCluster, EtcdOptions } from './api.js';
import { optionLines } from './etcd-options.js';
import { CLIENT_PORT, PEER_PORT } from './member-naming.js';
import { memberTlsConfig, tlsEnabled } from './tls-config.js';

export const DATA_DIR = '/var/lib/etcd';
export const ENTRIES_DIR = '/etc/etcd-members';

/** What a member's pod needs to start etcd the first time (ConfigMap NAME-members, one key per member). */
export interface MemberStartEntry {
  state: 'new' | 'existing';
  initialCluster: string;
  /** etcd member ID the entry was written for; absent for the bootstrap member. */
  memberId?: string;
  /** When the member was added: the clock of the learner start timeout, kept in Kubernetes, not in memory. */
  addedAt: string;
  /**
   * When etcd first reported the member started: from then on its data lives in its volume, so a pod that
   * finds the volume empty has lost it (the guard refuses to start etcd there).
   */
  joinedAt?: string;
  /**
   * Set only while a recovery restarts this member as a one-member cluster (`kubectl etcd recover`): etcd
   * then rewrites its membership to itself alone, keeping its data. The next entry written drops it: once.
   */
  forceNewClusterAt?: string;
}

/** Where a member's entry lives: the cluster's identity and the member's name, for its URLs; and spec.etcdOptions. */
export interface EntryContext {
  cluster: string;
  namespace: string;
  token: string;
  options?: EtcdOptions;
  /** Mutual TLS on peer and client URLs (spec.tls.enabled). */
  tls?: boolean;
}

export const membersConfigMapName = (cluster: string) => `${cluster}-members`;

/** Token of the bootstrap: unique per EtcdCluster object, so a recreated cluster never talks to an old one. */
export const clusterToken = (c: EtcdCluster) => `${c.metadata.name}-${c.metadata.uid}`;

export function entryContext(c: EtcdCluster): EntryContext {
  return { cluster: c.metadata.name!, namespace: c.metadata.namespace!, token: clusterToken(c), options: c.spec.etcdOptions, tls: tlsEnabled(c) };
}

const ADDED_AT = '# added-at: ';
const MEMBER_ID = '# member-id: ';
const JOINED_AT = '# joined-at: ';
const FORCED_AT = '# force-new-cluster-at: ';
const quoted = (v: string) => `'${v.replaceAll("'", "''")}'`;

/**
 * A ConfigMap entry is the member's etcd config file (keys as etcd's --config-file reads them on 3.4 to
 * 3.6; with --config-file etcd ignores every other flag, so the file is complete).
 */
export function formatEntry(ctx: EntryContext, member: string, e: MemberStartEntry): string {
  const host = `${member}.${ctx.cluster}.${ctx.namespace}.svc`;
  const tls = memberTlsConfig(ctx.tls === true);
  const scheme = tls.scheme;
  const lines = [
    `# etcd config of member ${member}, written by etcd-controller`,
    `${ADDED_AT}${e.addedAt}`,
    ...(e.memberId ? [`${MEMBER_ID}${e.memberId}`] : []),
    ...(e.joinedAt ? [`${JOINED_AT}${e.joinedAt}`] : []),
    ...(e.forceNewClusterAt ? [`${FORCED_AT}${e.forceNewClusterAt}`] : []),
    `name: ${quoted(member)}`,
    `data-dir: ${quoted(DATA_DIR)}`,
    `listen-peer-urls: ${quoted(`${scheme}://0.0.0.0:${PEER_PORT}`)}`,
    `listen-client-urls: ${quoted(`${scheme}://0.0.0.0:${CLIENT_PORT}`)}`,
    `advertise-client-urls: ${quoted(`${scheme}://${host}:${CLIENT_PORT}`)}`,
    `initial-advertise-peer-urls: ${quoted(`${scheme}://${host}:${PEER_PORT}`)}`,
    `initial-cluster: ${quoted(e.initialCluster)}`,
    `initial-cluster-state: ${quoted(e.state)}`,
    `initial-cluster-token: ${quoted(ctx.token)}`,
    // The metrics listener (plain HTTP, for the kubelet's probes and Prometheus) and, with TLS, the transport
    // security of both listeners. The JSON gateway (on by default only as a command-line flag) stays off:
    // nothing here uses it, and through the API server's pods/proxy it would let anyone allowed to proxy write
    // to etcd.
    ...tls.lines,
    ...optionLines(ctx.options),
    ...(e.forceNewClusterAt ? ['force-new-cluster: true'] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export function parseEntry(text: string): MemberStartEntry | undefined {
  const vars: Record<string, string> = {};
  let addedAt = '';
  let memberId: string | undefined;
  let joinedAt: string | undefined;
  let forceNewClusterAt: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith(ADDED_AT)) addedAt = line.slice(ADDED_AT.length);
    else if (line.startsWith(MEMBER_ID)) memberId = line.slice(MEMBER_ID.length);
    else if (line.startsWith(JOINED_AT)) joinedAt = line.slice(JOINED_AT.length);
    else if (line.startsWith(FORCED_AT)) forceNewClusterAt = line.slice(FORCED_AT.length);
    const m = /^([a-z-]+): '((?:[^']|'')*)'$/.exec(line);
    if (m) vars[m[1]] = m[2].replaceAll("''", "'");
  }
  const state = vars['initial-cluster-state'];
  if ((state !== 'new' && state !== 'existing') || !vars['initial-cluster']) return undefined;
  const entry: MemberStartEntry = { state, initialCluster: vars['initial-cluster'], addedAt };
  if (memberId) entry.memberId = memberId;
  if (joinedAt) entry.joinedAt = joinedAt;
  if (forceNewClusterAt) entry.forceNewClusterAt = forceNewClusterAt;
  return entry;
}
