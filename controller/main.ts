// etcd-controller: reconciles EtcdClusters (StatefulSet, Services, PDB, etcd membership, status).
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { DEFAULT_ETCD_REPOSITORY, defaultGuardImage } from './objects.js';
import { hostname } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadKubeConfig } from '../core/kubeconfig.js';
import { createLogger } from '../core/log.js';
import { Controller } from './controller.js';
import { ObjectCache } from './object-cache.js';
import { EtcdAdmin } from './etcd-admin.js';
import { Kube } from './kube.js';
import { LeaderElector } from './leader-election.js';
import { DEFAULT_RECLAIM, MemoryReclaimer } from './memory-reclaim.js';
import { memoryReclaimedBytes, memoryReclaims, registry } from './metrics.js';
import { Reconciler } from './reconciler.js';

const log = createLogger('controller');

function parseAddr(addr: string): { host?: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--metrics-addr "${addr}" is not HOST:PORT or :PORT`);
  const host = addr.slice(0, i);
  return { host: host || undefined, port };
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('etcd-controller')
    .usage('$0 [flags]: reconcile EtcdClusters (etcd.k8s-operator.io/v1alpha1)')
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: in-cluster ServiceAccount, else ~/.kube/config)' })
    .option('namespace', { type: 'string', describe: 'watch only this namespace (default: all)' })
    .option('metrics-addr', { type: 'string', default: ':8080', describe: 'address of /metrics and /healthz' })
    .option('leader-elect', { type: 'boolean', default: true, describe: 'take a Lease so only one replica reconciles' })
    .option('leader-election-namespace', {
      type: 'string',
      default: process.env.POD_NAMESPACE || 'etcd-operator-system',
      describe: 'namespace of the Lease etcd-controller (default: $POD_NAMESPACE, else etcd-operator-system)',
    })
    .option('etcd-image-repository', { type: 'string', default: DEFAULT_ETCD_REPOSITORY, describe: 'etcd image; the tag is v<spec.version>' })
    .option('member-guard-image', {
      type: 'string',
      default: process.env.OPERATOR_IMAGE || defaultGuardImage(),
      describe: 'image of the etcd pods\' member-guard init container: this operator\'s own (default: $OPERATOR_IMAGE, else the release of this build)',
    })
    .option('network-policies', {
      type: 'boolean',
      default: process.env.ETCDOP_NETWORK_POLICIES === 'true',
      describe: 'give every cluster a NetworkPolicy: peers from its members only, clients from its namespace, the operator\'s and spec.networkPolicy.clientNamespaces (also ETCDOP_NETWORK_POLICIES=true)',
    })
    .option('resync-seconds', { type: 'number', default: 30, describe: 'look at every cluster at least this often (etcd health has no watch)' })
    .strict()
    .help()
    .parseAsync();

  const kc = loadKubeConfig({ kubeconfig: argv.kubeconfig, preferInCluster: true });
  const kube = new Kube(kc);
  let leading = !argv['leader-elect'];

  const { host, port } = parseAddr(argv['metrics-addr']);
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(leading ? 'ok (leader)\n' : 'ok (standby)\n');
    } else if (req.url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  log.info({ addr: argv['metrics-addr'] }, 'serving /metrics and /healthz');

  const pdbVersion = await kube.discoverPdbVersion();
  log.info({ pdbApiVersion: pdbVersion }, 'PodDisruptionBudget API chosen');

  let elector: LeaderElector | undefined;
  let stopRenewing: (() => void) | undefined;
  if (argv['leader-elect']) {
    elector = new LeaderElector(
      kc,
      {
        namespace: argv['leader-election-namespace'],
        name: 'etcd-controller',
        // Unique per process: in a container the pid is the same (1) after every restart of the same pod.
        identity: `${hostname()}_${randomUUID().slice(0, 8)}`,
        leaseDurationSeconds: 15,
        renewPeriodMs: 10_000,
        renewDeadlineMs: 13_000,
        retryPeriodMs: 2000,
      },
      log,
    );
    await elector.acquire();
    leading = true;
    stopRenewing = elector.keepRenewing((reason) => {
      // Another replica may lead now: stop at once; the Deployment restarts us as a standby.
      log.error({ reason }, 'lost leadership; exiting');
      process.exit(1);
    });
  }

  const images = { etcdRepository: argv['etcd-image-repository'], guard: argv['member-guard-image'] };
  const networkPolicies = argv['network-policies'] ? { operatorNamespace: process.env.POD_NAMESPACE } : undefined;
  const cache = new ObjectCache(kc, kube, { namespace: argv.namespace, networkPolicies: !!networkPolicies });
  kube.onWrite = (resource, result) => cache.noteWrite(resource, result);
  const etcd = new EtcdAdmin();
  const reconciler = new Reconciler(kube, etcd, { images, ...(networkPolicies ? { networkPolicies } : {}) }, log, cache);
  const controller = new Controller(cache, reconciler, etcd, { namespace: argv.namespace, resyncMs: argv['resync-seconds'] * 1000 }, log);
  await controller.start();
  const stopReclaiming = reclaimMemory();

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    void controller
      .stop()
      .then(() => {
        stopReclaiming();
        stopRenewing?.();
        return elector?.release();
      })
      .catch((err: unknown) => log.warn({ err: String(err) }, 'clean shutdown incomplete'))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** Full collections when RSS grows (bin/etcd-controller passes --expose-gc); without gc() exposed, nothing. */
function reclaimMemory(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    log.info('gc() not exposed (run through bin/etcd-controller, or node --expose-gc): RSS is left to V8 alone');
    return () => {};
  }
  const reclaimer = new MemoryReclaimer(gc, () => process.memoryUsage.rss(), DEFAULT_RECLAIM.growthBytes);
  const timer = setInterval(() => {
    const r = reclaimer.check();
    if (!r) return;
    memoryReclaims.inc();
    memoryReclaimedBytes.inc(Math.max(0, r.before - r.after));
    log.debug({ rssBeforeMiB: Math.round(r.before / 2 ** 20), rssAfterMiB: Math.round(r.after / 2 ** 20) }, 'full collection after RSS grew');
  }, DEFAULT_RECLAIM.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

main().catch((err: unknown) => {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'etcd-controller failed to start');
  process.exit(1);
});
