// A server for the webhook latency benchmark, in a process of its own so the load tool does not share its
// event loop: `real` is the etcd-webhook server (fixed EtcdCluster lookup, no Kubernetes), `bare` a plain
// node:https server answering a static "allowed" AdmissionReview. Prints {"port": N} once listening.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../core/log.js';
import { fixedClusterLookup } from '../webhook/cluster-cache.js';
import { createMetrics } from '../webhook/metrics.js';
import { createWebhookServer } from '../webhook/server.js';
import { benchClusters } from './lib-webhook-requests.js';

const [kind, certFile, keyFile] = process.argv.slice(2);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
const ALLOWED = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'static', allowed: true } });

function bare(): Server {
  return createServer({ ...tls, minVersion: 'TLSv1.2' }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ALLOWED) });
      res.end(ALLOWED);
    });
  });
}

function real(): Server {
  const metrics = createMetrics();
  return createWebhookServer({
    tls,
    context: { maxSize: 7, clusters: fixedClusterLookup(benchClusters), recorder: { record: () => undefined }, now: () => new Date() },
    metrics,
    log: createLogger('webhook'),
    ready: () => true,
  });
}

if (kind !== 'real' && kind !== 'bare') throw new Error('usage: lib-webhook-target.js real|bare CERT KEY');
const server = kind === 'real' ? real() : bare();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
