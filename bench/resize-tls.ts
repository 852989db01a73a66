// `make bench`: what mutual TLS costs a resize. Two clusters of the deployed operator in one run, one with
// spec.tls (the operator's own CA) and one without, each resized 1 -> 3 -> 1, alternating which goes first;
// each step ends when bench/lib-converged.ts says done (for the TLS cluster read over TLS with its client
// certificate). Prints each step's median and the ratio TLS / plain. Instance as resize-speed's.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../core/api.js';
import { issuedFromSecret, clientTlsSecretName } from '../core/tls-objects.js';
import type { EtcdClientCredentials } from '../controller/etcd-admin.js';
import { until, type BenchCluster } from './lib-bench-cluster.js';
import { notConverged } from './lib-converged.js';
import { inRoundNamespaces, median, runOperatorBench, seconds } from './lib-operator-bench.js';

const STEPS: [number, number][] = [[1, 3], [3, 1]];
const ROUNDS = Number(process.env.ETCDOP_BENCH_ROUNDS ?? 2);
const STORAGE = '256Mi';
const TIMEOUT_MS = 300_000;

async function credentials(bc: BenchCluster, ns: string): Promise<EtcdClientCredentials> {
  let got: EtcdClientCredentials | undefined;
  await until(async () => {
    const s = await bc.core.readNamespacedSecret({ namespace: ns, name: clientTlsSecretName('op') }).catch(() => undefined);
    const issued = s && issuedFromSecret(s);
    if (issued) got = { ca: issued.caPem, cert: issued.certPem, key: issued.keyPem };
    return !!got;
  }, `${ns}: Secret ${clientTlsSecretName('op')}`, TIMEOUT_MS, 200);
  return got!;
}

async function converged(bc: BenchCluster, ns: string, size: number, tls?: EtcdClientCredentials): Promise<void> {
  let last: string | undefined;
  await until(async () => (last = await notConverged(bc, ns, 'op', size, tls)) === undefined, () => `${ns}/op converged at ${size} (${last})`, TIMEOUT_MS, 100);
}

async function resize(bc: BenchCluster, ns: string, to: number, tls?: EtcdClientCredentials): Promise<number> {
  const start = Date.now();
  await bc.custom.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: 'op', body: [{ op: 'replace', path: '/spec/size', value: to }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  await converged(bc, ns, to, tls);
  return Date.now() - start;
}

runOperatorBench('resize-tls', async (bc) => {
  const times = new Map<string, { plain: number[]; tls: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    // The plain cluster in the "-op" namespace, the TLS one in the other.
    await inRoundNamespaces(bc, 'bench-tls', async (plainNs, tlsNs) => {
      for (const [ns, tls] of [[plainNs, false], [tlsNs, true]] as const) {
        const spec = { size: 1, storage: { size: STORAGE }, ...(tls ? { tls: { enabled: true } } : {}) };
        const r = await bc.kubectl(['-n', ns, 'apply', '-f', '-'], JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'EtcdCluster', metadata: { name: 'op' }, spec }));
        if (r.code !== 0) throw new Error(`creating EtcdCluster op in ${ns}: ${r.stderr}`);
      }
      const creds = await credentials(bc, tlsNs);
      await converged(bc, plainNs, 1);
      await converged(bc, tlsNs, 1, creds);
      for (const [i, [from, to]] of STEPS.entries()) {
        const key = `${from}->${to}`;
        const t = times.get(key) ?? { plain: [], tls: [] };
        const plain = async () => { t.plain.push(await resize(bc, plainNs, to)); };
        const secure = async () => { t.tls.push(await resize(bc, tlsNs, to, creds)); };
        if ((round + i) % 2 === 0) { await plain(); await secure(); } else { await secure(); await plain(); }
        times.set(key, t);
        console.log(`  round ${round + 1} ${key}: TLS ${seconds(t.tls.at(-1)!)} s, plain ${seconds(t.plain.at(-1)!)} s`);
      }
    });
  }
  console.log(`resize wall time with mutual TLS against without, median of ${ROUNDS} round(s)`);
  let tlsSum = 0, plainSum = 0;
  for (const [key, t] of times) {
    const a = median(t.tls), b = median(t.plain);
    tlsSum += a;
    plainSum += b;
    console.log(`  ${key.padEnd(5)} TLS ${seconds(a).padStart(6)} s  plain ${seconds(b).padStart(6)} s  ratio ${(a / b).toFixed(2)}x`);
  }
  console.log(`  both  TLS ${seconds(tlsSum).padStart(6)} s  plain ${seconds(plainSum).padStart(6)} s  ratio ${(tlsSum / plainSum).toFixed(2)}x`);
});
