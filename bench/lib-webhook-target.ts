// A server for the webhook latency benchmark, in a process of its own so the load tool does not share its
// event loop: `real` is the etcd-webhook server (fixed EtcdCluster lookup, no Kubernetes); `bare` a plain
// node:https server answering "allowed" with the least a valid answer takes: it reads the body and echoes the
// request's uid (the API server rejects an answer whose uid does not match); `static` answers a fixed text
// without reading the body, as a reference for the cost of HTTPS alone. Prints {"port": N} once listening.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../core/log.js';
import { fixedClusterLookup } from '../webhook/cluster-cache.js';
import { createMetrics } from '../webhook/metrics.js';
import { createWebhookServer } from '../webhook/server.js';
import { benchClusters } from './lib-webhook-requests.js';

const [kind, certFile, keyFile] = process.argv.slice(2);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
const allowed = (uid: unknown) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
const STATIC = allowed('static');

function answer(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function bare(): Server {
  return createServer({ ...tls, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => answer(res, allowed((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: unknown } }).request.uid)));
  });
}

function staticAnswer(): Server {
  return createServer({ ...tls, minVersion: 'TLSv1.2' }, (req, res) => {
    req.resume();
    req.on('end', () => answer(res, STATIC));
  });
}

function real(): Server {
  const metrics = createMetrics();
  return createWebhookServer({
    tls,
    context: { maxSize: 7, clusters: fixedClusterLookup(benchClusters), recorder: { record: async () => undefined, recordRequest: async () => undefined }, now: () => new Date() },
    metrics,
    log: createLogger('webhook', { buffered: true }), // as bin/etcd-webhook logs
    ready: () => true,
  });
}

const servers: Record<string, () => Server> = { real, bare, static: staticAnswer };
if (!servers[kind]) throw new Error('usage: lib-webhook-target.js real|bare|static CERT KEY');
const server = servers[kind]();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
