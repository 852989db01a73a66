// `make bench`: the controller at rest. bin/etcd-controller runs as a host process watching one namespace
// with ETCDOP_BENCH_CLUSTERS (default 20) EtcdClusters of size 1, all Running; then nothing changes for
// ETCDOP_BENCH_REST_SECONDS (default 60). Figures:
// - API writes in the window, counted twice: by the controller itself (etcd_controller_api_writes_total on
//   its /metrics) and independently from the API server: objects of the namespace whose resourceVersion
//   changed (EtcdClusters, StatefulSets, Services, ConfigMaps, PDBs, PVCs) plus Events the controller
//   created. Target 0 per minute.
// - Resident memory (VmRSS of /proc/PID/status), against its baseline measured in the same run: the same
//   controller watching an empty namespace before the clusters are created.
// Instance: ETCDOP_TEST_CLUSTER (default "bench"), started and stopped here when not running.
import { KubernetesObjectApi, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { GROUP, PLURAL, VERSION, type EtcdCluster } from '../core/api.js';
import { benchCluster, sleep, startBenchController, until, type BenchCluster } from './lib-bench-cluster.js';

const CLUSTERS = Number(process.env.ETCDOP_BENCH_CLUSTERS ?? 20);
const REST_SECONDS = Number(process.env.ETCDOP_BENCH_REST_SECONDS ?? 60);
const METRICS_PORT = Number(process.env.ETCDOP_BENCH_METRICS_PORT ?? 18932);
const SAMPLE_MS = 5000;

const rssMiB = (pid: number) => {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
};

/** Sum of the samples of one metric on the controller's /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const apiWritesCounter = () => metric('etcd_controller_api_writes_total');

/** Where the resident memory is, from the process's own figures: V8 heap used / reserved, and off-heap. */
async function memoryBreakdown(): Promise<string> {
  const mib = async (name: string) => ((await metric(name)) / 2 ** 20).toFixed(1);
  return `V8 heap used ${await mib('nodejs_heap_size_used_bytes')} MiB of ${await mib('nodejs_heap_size_total_bytes')} MiB reserved, ` +
    `external (Buffers, native) ${await mib('nodejs_external_memory_bytes')} MiB`;
}

/** resourceVersion of every object the controller could write, by "kind/name". */
async function versions(objects: KubernetesObjectApi, ns: string, pdbApiVersion: string): Promise<Map<string, string>> {
  const kinds: [string, string][] = [
    [`${GROUP}/${VERSION}`, 'EtcdCluster'], ['apps/v1', 'StatefulSet'], ['v1', 'Service'], ['v1', 'ConfigMap'],
    [pdbApiVersion, 'PodDisruptionBudget'], ['v1', 'PersistentVolumeClaim'],
  ];
  const out = new Map<string, string>();
  for (const [apiVersion, kind] of kinds) {
    const list = await objects.list<KubernetesObject>(apiVersion, kind, ns);
    for (const o of list.items) out.set(`${kind}/${o.metadata!.name}`, o.metadata!.resourceVersion!);
  }
  return out;
}

async function controllerEvents(bc: BenchCluster, ns: string): Promise<Set<string>> {
  const list = await bc.core.listNamespacedEvent({ namespace: ns });
  return new Set(list.items.filter((e) => e.source?.component === 'etcd-controller').map((e) => e.metadata!.name!));
}

async function main(): Promise<number> {
  const bc = await benchCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(bc.kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const pdbApiVersion = (await bc.kubectl(['api-versions'])).stdout.split('\n').includes('policy/v1') ? 'policy/v1' : 'policy/v1beta1';
  const ns = await bc.createNamespace('bench-rest');
  const controller = await startBenchController(bc.kubeconfig, ns, METRICS_PORT);
  try {
    // Baseline: the same process watching an empty namespace, after its start-up has settled.
    await sleep(10_000);
    const rssIdle = rssMiB(controller.pid);
    const memoryIdle = await memoryBreakdown();

    const t0 = Date.now();
    const manifests = Array.from({ length: CLUSTERS }, (_, i) => JSON.stringify({
      apiVersion: `${GROUP}/${VERSION}`, kind: 'EtcdCluster', metadata: { name: `rest-${i}` }, spec: { size: 1, storage: { size: '64Mi' } },
    })).join('\n');
    const applied = await bc.kubectl(['-n', ns, 'apply', '-f', '-'], manifests);
    if (applied.code !== 0) throw new Error(`creating ${CLUSTERS} EtcdClusters: ${applied.stderr}`);
    let running = 0;
    await until(async () => {
      const list = (await bc.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as { items: EtcdCluster[] };
      running = list.items.filter((c) => c.status?.phase === 'Running' && c.status.observedGeneration === c.metadata.generation).length;
      return running === CLUSTERS;
    }, () => `${CLUSTERS} EtcdClusters Running (${running} are)`, 600_000, 2000);
    console.log(`${CLUSTERS} EtcdClusters of size 1 Running ${((Date.now() - t0) / 1000).toFixed(1)} s after creation`);
    // Let the last status writes and Events land before the window opens.
    await sleep(10_000);

    const writesBefore = await apiWritesCounter();
    const rvBefore = await versions(objects, ns, pdbApiVersion);
    const eventsBefore = await controllerEvents(bc, ns);
    const rss: number[] = [];
    const start = Date.now();
    while (Date.now() - start < REST_SECONDS * 1000) {
      rss.push(rssMiB(controller.pid));
      await sleep(Math.min(SAMPLE_MS, REST_SECONDS * 1000 - (Date.now() - start)));
    }
    rss.push(rssMiB(controller.pid));
    const minutes = (Date.now() - start) / 60_000;
    const writesCounted = (await apiWritesCounter()) - writesBefore;
    const rvAfter = await versions(objects, ns, pdbApiVersion);
    const changed = [...rvAfter].filter(([k, rv]) => rvBefore.get(k) !== rv).map(([k]) => k);
    const gone = [...rvBefore.keys()].filter((k) => !rvAfter.has(k));
    const newEvents = [...(await controllerEvents(bc, ns))].filter((e) => !eventsBefore.has(e));

    console.log(`window: ${(minutes * 60).toFixed(0)} s at rest, ${rvBefore.size} objects watched for changes`);
    console.log(`API writes per minute, controller's own counter (etcd_controller_api_writes_total): ${(writesCounted / minutes).toFixed(1)} (${writesCounted} in the window)`);
    console.log(`API writes per minute, from the API server (objects changed or deleted + Events created): ${((changed.length + gone.length + newEvents.length) / minutes).toFixed(1)}` +
      ` (${changed.length} changed${changed.length ? `: ${changed.slice(0, 5).join(', ')}` : ''}, ${gone.length} deleted, ${newEvents.length} Events)`);
    const rssNow = rss[rss.length - 1], rssMax = Math.max(...rss);
    console.log(`resident memory with ${CLUSTERS} clusters: ${rssNow.toFixed(1)} MiB (max ${rssMax.toFixed(1)} MiB over ${rss.length} samples)`);
    console.log(`  of which: ${await memoryBreakdown()}`);
    console.log(`resident memory watching an empty namespace (baseline, same run): ${rssIdle.toFixed(1)} MiB; ratio ${(rssNow / rssIdle).toFixed(2)}x`);
    console.log(`  of which: ${memoryIdle}`);
    console.log(`target 0 writes per minute at rest: ${writesCounted === 0 && changed.length + gone.length + newEvents.length === 0 ? 'met' : 'NOT met'}`);
    return 0;
  } finally {
    await controller.stop();
    await bc.deleteNamespace(ns);
    await bc.release();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`controller-at-rest: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
