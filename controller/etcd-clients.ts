// etcd clients kept between passes (issue 18): one per member endpoint, client certificate and deadline, so an
// idle cluster's resync costs its members' requests and no new connections. A call that fails on a kept client
// for any reason but its deadline is tried once more on a new one (the pod behind a name may be another now),
// so a failure is never the pool's; clients no pass has used for IDLE_MS, and a deleted cluster's, are closed.
import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { noop } from 'cockatiel';
import { etcdClients } from './metrics.js';

/** A member's TLS client credentials (PEM). */
export interface ClientCredentials {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

/** A member not asked for this long (removed, or its cluster gone) has its client closed. */
export const IDLE_MS = 120_000;

interface Kept {
  client: Etcd3;
  endpoint: string;
  lastUsed: number;
}

/** The call ran out of time (the member may be slow, not gone). */
export function isDeadline(err: unknown): boolean {
  return /deadline|timed out|timeout/i.test(err instanceof Error ? `${err.name} ${err.message}` : String(err));
}

const fingerprint = (c: ClientCredentials | undefined) => (c ? createHash('sha256').update(c.ca).update(c.cert).update(c.key).digest('hex').slice(0, 16) : '');

export class EtcdClientPool {
  private readonly kept = new Map<string, Kept>();

  private open(endpoint: string, credentials: ClientCredentials | undefined, timeoutMs: number): Etcd3 {
    etcdClients.inc();
    return new Etcd3({
      hosts: [endpoint],
      dialTimeout: timeoutMs,
      faultHandling: { global: noop, host: () => noop },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      // Its own connections: grpc-js would otherwise share one per address across clients, and a client closed
      // here (a failure) would leave the others on the connection that failed.
      grpcOptions: { 'grpc.use_local_subchannel_pool': 1 },
      ...(credentials ? { credentials: { rootCertificate: Buffer.from(credentials.ca), privateKey: Buffer.from(credentials.key), certChain: Buffer.from(credentials.cert) } } : {}),
    });
  }

  private sweep(now: number): void {
    for (const [k, e] of this.kept) {
      if (now - e.lastUsed > IDLE_MS) {
        e.client.close();
        this.kept.delete(k);
      }
    }
  }

  async use<T>(endpoint: string, credentials: ClientCredentials | undefined, timeoutMs: number, fn: (client: Etcd3) => Promise<T>): Promise<T> {
    const now = Date.now();
    this.sweep(now);
    const k = `${endpoint}|${timeoutMs}|${fingerprint(credentials)}`;
    const had = this.kept.get(k);
    const e = had ?? { client: this.open(endpoint, credentials, timeoutMs), endpoint, lastUsed: now };
    this.kept.set(k, e);
    e.lastUsed = now;
    try {
      return await fn(e.client);
    } catch (err) {
      e.client.close();
      this.kept.delete(k);
      // A slow member is the caller's to wait for (EtcdAdmin asks it again, patiently); a refused or broken
      // connection may be the old pod's, so a new client asks once more.
      if (!had || isDeadline(err)) throw err;
      return this.use(endpoint, credentials, timeoutMs, fn);
    }
  }

  closeWhere(matches: (endpoint: string) => boolean): void {
    for (const [k, e] of this.kept) {
      if (!matches(e.endpoint)) continue;
      e.client.close();
      this.kept.delete(k);
    }
  }

  closeAll(): void {
    this.closeWhere(() => true);
  }

  get size(): number {
    return this.kept.size;
  }
}
