// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a lease is expired when its record
// has not changed for leaseDuration as seen on our own clock (no trust in other clocks). Writes use the
// Lease's resourceVersion, so two candidates never both win.
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../core/log.js';
import { apiWrites } from './metrics.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  renewPeriodMs: number;
  retryPeriodMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lease times come back as strings or Dates depending on the client's deserializer: compare them as text. */
const timeText = (t: unknown) => (t instanceof Date ? t.toISOString() : String(t ?? ''));
const recordOf = (spec: V1Lease['spec']) => `${spec?.holderIdentity}/${timeText(spec?.renewTime)}/${spec?.leaseTransitions}`;

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private observedRecord = '';
  private observedAt = 0;

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  /** Try once to take or renew the lease; true when we hold it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    const now = new V1MicroTime(Date.now());
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    if (!lease) {
      await this.api.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
      });
      apiWrites.inc({ verb: 'create', resource: 'leases' });
      this.observe(lease, identity);
      return true;
    }
    const spec = lease.spec ?? {};
    const record = recordOf(spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const held = spec.holderIdentity === identity;
    const expired = Date.now() > this.observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (!held && spec.holderIdentity && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      acquireTime: held && spec.acquireTime ? new V1MicroTime(Date.parse(timeText(spec.acquireTime))) : now,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (held ? 0 : 1),
    };
    const updated = await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    apiWrites.inc({ verb: 'update', resource: 'leases' });
    this.observe(updated, identity);
    return true;
  }

  private observe(lease: V1Lease | undefined, identity: string): void {
    const spec = lease?.spec;
    this.observedRecord = spec ? recordOf(spec) : identity;
    this.observedAt = Date.now();
  }

  /** On a clean shutdown: hand the lease back so a standby takes over at once instead of after it expires. */
  async release(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: undefined, renewTime: new V1MicroTime(Date.now()) };
    await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    apiWrites.inc({ verb: 'update', resource: 'leases' });
  }

  /** Wait until we lead. */
  async acquire(): Promise<void> {
    let logged = false;
    for (;;) {
      try {
        if (await this.tryAcquireOrRenew()) {
          this.log.info({ lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity }, 'became leader');
          return;
        }
        if (!logged) this.log.info({ lease: `${this.opts.namespace}/${this.opts.name}` }, 'another replica leads; waiting');
        logged = true;
      } catch (err) {
        this.log.warn({ err: String(err) }, 'leader election: lease not acquired');
      }
      await sleep(this.opts.retryPeriodMs);
    }
  }

  /** Renew until a renewal has not succeeded within the renew deadline; then call onLost (once). */
  keepRenewing(onLost: (reason: string) => void): () => void {
    let stopped = false;
    let lastRenew = Date.now();
    const loop = async () => {
      while (!stopped) {
        await sleep(this.opts.renewPeriodMs);
        if (stopped) return;
        for (;;) {
          try {
            if (await this.tryAcquireOrRenew()) {
              lastRenew = Date.now();
              break;
            }
            return onLost('another replica holds the lease');
          } catch (err) {
            if (Date.now() - lastRenew > this.opts.renewDeadlineMs) return onLost(`lease not renewed: ${String(err)}`);
            await sleep(this.opts.retryPeriodMs);
          }
        }
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }
}
