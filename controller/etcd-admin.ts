// The controller's only door to etcd: observe the member list and per-member health, and make the
// membership changes. One client per member endpoint, kept between passes (etcd-clients.ts; etcd3's own pool
// would send status/moveLeader to a random endpoint), short deadlines, no retries beyond the pool's one on a new
// client: the reconcile loop decides when to retry.
// With TLS on, every client (gRPC and /version) presents the controller's client certificate.
import { get as httpsGet } from 'node:https';
import type { Etcd3, IStatusResponse } from 'etcd3';
import { EtcdClientPool, isDeadline, type ClientCredentials } from './etcd-clients.js';
import { etcdRequests } from './metrics.js';
import { memberIdDecimal, memberIdHex } from '../core/member-naming.js';

export interface EtcdMember {
  /** 16 lower-case hex digits. */
  id: string;
  /** Empty until the member has started once. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface EndpointStatus {
  endpoint: string;
  /** ID of the member that answered. */
  id: string;
  /** Leader ID as this member sees it; undefined when it has none. */
  leader?: string;
  raftTerm: bigint;
  raftIndex: bigint;
  /** The member's own store revision (its header): how far it applied. */
  revision: bigint;
  dbSize: number;
  isLearner: boolean;
  errors: string[];
  version: string;
}

export interface EtcdView {
  /** etcd's member list, undefined when no endpoint answered (unknown, never "no members"). */
  members?: EtcdMember[];
  /** True when the list came from the member that is leader: only then are membership steps taken. */
  authoritative: boolean;
  leaderId?: string;
  /** Status by member ID, for those that answered. */
  status: Map<string, EndpointStatus>;
  /** etcd's cluster version as the leader reports it (its /version endpoint); undefined when not read. */
  clusterVersion?: string;
  /** Why the list is unknown or not authoritative, for status messages. */
  problem?: string;
}

/** A client certificate for members that require one (TLS on): PEM text of the CA, the certificate and its key. */
export type EtcdClientCredentials = ClientCredentials;

export interface EtcdAdminOptions {
  /** Deadline of each call in milliseconds. */
  timeoutMs?: number;
  /** With credentials every endpoint is spoken to over TLS (https:// URLs) with this client certificate. */
  credentials?: EtcdClientCredentials;
}

export class EtcdAdmin {
  private readonly timeoutMs: number;
  private readonly credentials?: EtcdClientCredentials;
  private readonly pool: EtcdClientPool;

  constructor(opts: EtcdAdminOptions = {}, pool = new EtcdClientPool()) {
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.credentials = opts.credentials;
    this.pool = pool;
  }

  /** The same deadlines and clients, with a client certificate (a TLS cluster's, read each pass: a renewed one is used at once). */
  withCredentials(credentials: EtcdClientCredentials): EtcdAdmin {
    return new EtcdAdmin({ timeoutMs: this.timeoutMs, credentials }, this.pool);
  }

  /** A deleted cluster's clients are closed (endpoints NAME-K.NAME.NS.svc). */
  forgetCluster(namespace: string, name: string): void {
    this.pool.closeWhere((endpoint) => new URL(endpoint).hostname.endsWith(`.${name}.${namespace}.svc`));
  }

  /** Every kept client closed (the controller stopping). */
  close(): void {
    this.pool.closeAll();
  }

  /** Run fn with a client bound to exactly one endpoint: kept for the next pass while it works, closed on a failure. */
  async withClient<T>(endpoint: string, fn: (client: Etcd3) => Promise<T>, timeoutMs = this.timeoutMs, call = 'other'): Promise<T> {
    etcdRequests.inc({ call });
    return this.pool.use(endpoint, this.credentials, timeoutMs, fn);
  }

  async status(endpoint: string, timeoutMs = this.timeoutMs): Promise<EndpointStatus> {
    const s: IStatusResponse = await this.withClient(endpoint, (c) => c.maintenance.status(), timeoutMs, 'status');
    const leader = s.leader && s.leader !== '0' ? memberIdHex(s.leader) : undefined;
    return {
      endpoint,
      id: memberIdHex(s.header.member_id),
      leader,
      raftTerm: BigInt(s.raftTerm),
      raftIndex: BigInt(s.raftIndex),
      revision: BigInt(s.header.revision ?? 0),
      dbSize: Number(s.dbSize ?? 0),
      isLearner: Boolean(s.isLearner),
      errors: s.errors ?? [],
      version: s.version,
    };
  }

  /**
   * A member that was healthy and misses the deadline is asked once more with twice the time: on a loaded node a
   * new connection alone can take longer than one deadline, and one slow answer must not show a healthy member
   * unhealthy (status writes, Events, a blocked resize). A refused connection is an answer and is not asked
   * again; a member already seen not answering is not waited for twice, so every pass stays short.
   */
  private async patiently<T>(patient: boolean, call: (timeoutMs: number) => Promise<T>): Promise<T> {
    try {
      return await call(this.timeoutMs);
    } catch (err) {
      if (!patient || !isDeadline(err)) throw err;
      return call(2 * this.timeoutMs);
    }
  }

  async memberList(endpoint: string, timeoutMs = this.timeoutMs): Promise<EtcdMember[]> {
    const res = await this.withClient(endpoint, (c) => c.cluster.memberList({}), timeoutMs, 'memberList');
    return (res.members ?? []).map((m) => ({
      id: memberIdHex(m.ID),
      name: m.name ?? '',
      peerURLs: m.peerURLs ?? [],
      clientURLs: m.clientURLs ?? [],
      isLearner: Boolean(m.isLearner),
    }));
  }

  /**
   * Ask every endpoint for its status, then the leader for the member list (those in healthyBefore patiently). A
   * member that was removed may still run with a stale view, so the list is taken from the member that is leader
   * in the highest term.
   */
  async observe(endpoints: string[], healthyBefore: ReadonlySet<string> = new Set()): Promise<EtcdView> {
    const answers = await Promise.allSettled(endpoints.map((e) => this.patiently(healthyBefore.has(e), (ms) => this.status(e, ms))));
    const status = new Map<string, EndpointStatus>();
    for (const a of answers) if (a.status === 'fulfilled') status.set(a.value.id, a.value);
    const leaders = [...status.values()]
      .filter((s) => s.leader === s.id)
      .sort((a, b) => (a.raftTerm === b.raftTerm ? 0 : a.raftTerm > b.raftTerm ? -1 : 1));
    for (const leader of leaders) {
      try {
        const patient = healthyBefore.has(leader.endpoint);
        const [members, clusterVersion] = await Promise.all([
          this.patiently(patient, (ms) => this.memberList(leader.endpoint, ms)),
          this.clusterVersion(leader.endpoint, patient ? 2 * this.timeoutMs : this.timeoutMs),
        ]);
        return { members, authoritative: true, leaderId: leader.id, status, clusterVersion };
      } catch {
        // Leadership moved or the leader died between the two calls: try the next candidate, then any member.
      }
    }
    for (const s of status.values()) {
      try {
        const members = await this.memberList(s.endpoint);
        return { members, authoritative: false, status, problem: 'no member reports itself leader (no quorum?)' };
      } catch {
        // Try the next endpoint.
      }
    }
    return {
      authoritative: false,
      status,
      problem: endpoints.length ? `no etcd member answered (${endpoints.join(', ')})` : 'no member endpoints to ask',
    };
  }

  /**
   * etcd's cluster version ("3.5.0"), from the member's HTTP /version (the gRPC API does not carry it); the
   * same port serves both. Undefined when it does not answer in time: a figure, never a reason to fail a pass.
   */
  async clusterVersion(endpoint: string, timeoutMs = this.timeoutMs): Promise<string | undefined> {
    etcdRequests.inc({ call: 'version' });
    try {
      const url = new URL('/version', endpoint);
      const body = (this.credentials ? await getJsonTls(url, this.credentials, timeoutMs) : await getJson(url, timeoutMs)) as { etcdcluster?: unknown };
      return typeof body.etcdcluster === 'string' && body.etcdcluster !== 'not_decided' ? body.etcdcluster : undefined;
    } catch {
      return undefined;
    }
  }

  /** Add a learner with this peer URL; returns the new member. */
  async addLearner(endpoint: string, peerURL: string): Promise<EtcdMember> {
    const res = await this.withClient(endpoint, (c) => c.cluster.memberAdd({ peerURLs: [peerURL], isLearner: true }), this.timeoutMs, 'memberAdd');
    const m = res.member;
    return { id: memberIdHex(m.ID), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: true };
  }

  async promote(endpoint: string, id: string): Promise<void> {
    await this.withClient(endpoint, (c) => c.cluster.memberPromote({ ID: memberIdDecimal(id) }), this.timeoutMs, 'memberPromote');
  }

  async remove(endpoint: string, id: string): Promise<void> {
    await this.withClient(endpoint, (c) => c.cluster.memberRemove({ ID: memberIdDecimal(id) }), this.timeoutMs, 'memberRemove');
  }

  /** moveLeader must be sent to the current leader's own endpoint. */
  async moveLeader(leaderEndpoint: string, targetId: string): Promise<void> {
    await this.withClient(leaderEndpoint, (c) => c.maintenance.moveLeader({ targetID: memberIdDecimal(targetId) }), this.timeoutMs, 'moveLeader');
  }
}

async function getJson(url: URL, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return res.json();
}

/**
 * GET over TLS with a client certificate: fetch takes no TLS options. A connection of its own each time
 * (no agent), like the gRPC clients: nothing lingers between passes.
 */
function getJsonTls(url: URL, creds: EtcdClientCredentials, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca: creds.ca, cert: creds.cert, key: creds.key, agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

/** etcd refusals that clear by themselves within seconds: retry within a few hundred milliseconds. */
export function isTransientRefusal(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /in sync with leader|not healthy for reconfigure|unhealthy cluster|too many learner|leader changed|no leader|bad leader transferee|timed out|deadline/i.test(
    msg,
  );
}

export function isLearnerNotInSync(err: unknown): boolean {
  return /in sync with leader/i.test(err instanceof Error ? err.message : String(err));
}
