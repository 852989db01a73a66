// bin/etcd-webhook: validating + mutating admission for EtcdCluster and etcdclusters/scale (SPEC.md).
import { hostname } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { MIN_SIZE, SCHEMA_MAX_SIZE, DEFAULT_MAX_SIZE } from '../core/api.js';
import { loadKubeConfig } from '../core/kubeconfig.js';
import { createLogger } from '../core/log.js';
import { ClusterCache } from './cluster-cache.js';
import { createMetrics } from './metrics.js';
import { EventResizeRecorder } from './resize-events.js';
import { createWebhookServer } from './server.js';
import { TlsReloader } from './tls.js';
import { priorityClassLookup, pvcLookup } from './lookups.js';

// Buffered: every admission decision is logged, and a write(2) per line costs latency under load.
const log = createLogger('webhook', { buffered: true });

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('etcd-webhook')
    .usage('$0 [flags]\n\nAdmission webhooks (POST /validate, POST /mutate) for EtcdCluster and its /scale subresource.')
    .option('listen', { type: 'string', default: '0.0.0.0:8443', describe: 'HOST:PORT to serve HTTPS on' })
    .option('tls-cert-file', { type: 'string', demandOption: true, describe: 'PEM serving certificate (reloaded when it changes)' })
    .option('tls-private-key-file', { type: 'string', demandOption: true, describe: 'PEM private key (reloaded when it changes)' })
    .option('max-size', { type: 'number', default: DEFAULT_MAX_SIZE, describe: `largest spec.size allowed (${MIN_SIZE}..${SCHEMA_MAX_SIZE})` })
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: in-cluster, else ~/.kube/config)' })
    .check((a) => {
      if (!Number.isInteger(a['max-size']) || a['max-size'] < MIN_SIZE || a['max-size'] > SCHEMA_MAX_SIZE) {
        throw new Error(`--max-size must be a whole number from ${MIN_SIZE} to ${SCHEMA_MAX_SIZE}`);
      }
      if (!/^(.*):(\d{1,5})$/.test(a.listen)) throw new Error(`--listen must be HOST:PORT, got "${a.listen}"`);
      return true;
    })
    .strict()
    .help()
    .parseAsync();

  const [, host, port] = /^(.*):(\d+)$/.exec(argv.listen) as RegExpExecArray;
  const metrics = createMetrics();
  const kc = loadKubeConfig({ kubeconfig: argv.kubeconfig, preferInCluster: true });
  const clusters = new ClusterCache(kc, metrics, log);
  const recorder = new EventResizeRecorder(kc, metrics, log, process.env.POD_NAME ?? hostname());

  let server: ReturnType<typeof createWebhookServer> | undefined;
  const tls = new TlsReloader({
    certFile: argv['tls-cert-file'],
    keyFile: argv['tls-private-key-file'],
    apply: (pair) => server?.setSecureContext({ cert: pair.cert, key: pair.key }),
    onResult: (result) => metrics.tlsReloads.inc({ result }),
    log,
  });
  const pair = await tls.start();
  server = createWebhookServer({
    tls: pair,
    context: { maxSize: argv['max-size'], clusters, recorder, now: () => new Date(), priorityClassExists: priorityClassLookup(kc, log), pvcExists: pvcLookup(kc, log) },
    metrics,
    log,
    ready: () => clusters.synced(),
  });
  clusters.start();
  server.on('clientError', (err, socket) => {
    log.debug({ err: err.message }, 'client connection error');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(Number(port), host.replace(/^\[(.*)\]$/, '$1'), () => resolve());
  });
  log.info({ listen: argv.listen, maxSize: argv['max-size'] }, 'etcd-webhook serving');

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    tls.stop();
    void clusters.stop();
    server!.close(() => process.exit(0));
    server!.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'etcd-webhook failed to start');
  process.exit(1);
});
