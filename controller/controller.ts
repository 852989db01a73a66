// Feeds the keyed work queue from the informer cache's events (object-cache.ts: EtcdClusters and every kind they
// own), mapped to the owning cluster; a periodic resync (jittered per cluster) notices etcd health changes no
// Kubernetes event reports, and about every FRESH_PASS_MS each cluster gets a pass that reads the API server
// instead of the cache (the safety net against a missed watch event).
import type { Logger } from '../core/log.js';
import type { EtcdAdmin } from './etcd-admin.js';
import { reconcileDuration, reconcileErrors, reconcileTotal } from './metrics.js';
import type { ObjectCache } from './object-cache.js';
import type { Reconciler } from './reconciler.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  /** Watch one namespace; undefined = all. */
  namespace?: string;
  resyncMs: number;
  /** How often a cluster's pass reads the API server rather than the cache (default FRESH_PASS_MS). */
  freshPassMs?: number;
}

/** The safety net's period: one fresh pass per cluster about every 10 minutes, spread by JITTER. */
export const FRESH_PASS_MS = 10 * 60_000;
const JITTER = 0.2;

const key = (namespace: string, name: string) => `${namespace}/${name}`;
/** d spread over [d(1 - JITTER), d(1 + JITTER)], so clusters do not all come due together. */
const jittered = (d: number) => d * (1 - JITTER + 2 * JITTER * Math.random());

export class Controller {
  private readonly queue: WorkQueue;
  private resync?: NodeJS.Timeout;
  private stopped = false;
  /** When each cluster's next fresh pass is due (ms). */
  private readonly freshDue = new Map<string, number>();

  constructor(
    private readonly cache: ObjectCache,
    private readonly reconciler: Reconciler,
    private readonly etcd: EtcdAdmin,
    private readonly opts: ControllerOptions,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue(
      async (k) => {
        const [ns, name] = k.split('/');
        const end = reconcileDuration.startTimer();
        const fresh = Date.now() >= (this.freshDue.get(k) ?? Infinity);
        if (fresh || !this.freshDue.has(k)) this.freshDue.set(k, Date.now() + jittered(this.opts.freshPassMs ?? FRESH_PASS_MS));
        try {
          const res = await this.reconciler.reconcile(ns, name, fresh);
          reconcileTotal.inc({ outcome: 'ok' });
          return res;
        } finally {
          end();
        }
      },
      (k, err) => {
        reconcileErrors.inc();
        reconcileTotal.inc({ outcome: 'error' });
        // A programming error gets its stack: its message alone does not say where.
        const bug = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;
        this.log.error({ cluster: k, err: err instanceof Error ? err.message : String(err), ...(bug ? { stack: err.stack } : {}) }, 'reconcile failed; backing off');
      },
    );
  }

  async start(): Promise<void> {
    this.cache.build(
      (e) => {
        const k = key(e.namespace, e.cluster);
        if (e.kind === 'EtcdCluster' && e.deleted) {
          // Its owned objects are garbage collected (PVCs kept on purpose); its etcd clients are closed.
          this.queue.forget(k);
          this.freshDue.delete(k);
          this.etcd.forgetCluster(e.namespace, e.cluster);
        } else {
          this.queue.add(k);
        }
      },
      (kind, err, restart) => {
        if (this.stopped) return;
        this.log.warn({ kind, err: String(err) }, 'watch failed; restarting in 2s');
        setTimeout(restart, 2000);
      },
    );
    await this.cache.start();
    // Each cluster's resync lands somewhere in the first tenth of the period: passes spread, none skipped.
    this.resync = setInterval(() => {
      for (const q of this.queue.keys()) this.queue.add(q, Math.random() * this.opts.resyncMs * 0.1);
    }, this.opts.resyncMs);
    this.log.info({ namespace: this.opts.namespace ?? '(all)', kinds: this.cache.watched() }, 'watching EtcdClusters');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    this.queue.stop();
    await this.cache.stop();
    this.etcd.close();
  }
}
