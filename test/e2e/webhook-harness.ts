// etcd-webhook in a pod on a test cluster, as manifests/base/webhook deploy it (Deployment, Service, RBAC) in a
// namespace of its own, its webhook configurations limited to namespaces labelled etcdop-webhook-e2e=<key>, so
// other tests on the same instance are not subject to it. The API server calls it through its Service.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { issueCert, makeCa } from '../../bench/lib-tls-fixture.js';
import { ROOT, waitFor, type TestCluster } from '../helpers/cluster.js';

export const WEBHOOK_LABEL = 'etcdop-webhook-e2e';

export interface InstalledWebhook {
  /** The namespace the webhook runs in. */
  sysNs: string;
  /** Makes `ns` subject to this webhook. */
  admit(ns: string): Promise<void>;
  /** Removes what install made: cluster-scoped objects, its namespace, the certificate files. */
  remove(): Promise<void>;
}

/** The webhook's own manifests, moved into `sysNs`, with cluster-wide names made unique by `key`. */
function webhookManifests(sysNs: string, key: string, caBundle: string): { workload: any[]; webhooks: any[]; clusterScoped: string[][] } {
  const base = join(ROOT, 'manifests/base/webhook');
  const docs = readdirSync(base).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(base, f), 'utf8')).map((d) => d.toJS() as any)).filter(Boolean);
  const workload: any[] = [];
  const webhooks: any[] = [];
  const clusterScoped: string[][] = [];
  for (const d of docs) {
    switch (d.kind) {
      case 'PodDisruptionBudget':
        break; // policy/v1 is not served by the 1.20 API server (the local overlay patches it)
      case 'ClusterRole':
        d.metadata.name = `etcd-webhook-${key}`;
        clusterScoped.push(['clusterrole', d.metadata.name]);
        workload.push(d);
        break;
      case 'ClusterRoleBinding':
        d.metadata.name = `etcd-webhook-${key}`;
        d.roleRef.name = `etcd-webhook-${key}`;
        d.subjects[0].namespace = sysNs;
        clusterScoped.push(['clusterrolebinding', d.metadata.name]);
        workload.push(d);
        break;
      case 'Deployment':
        d.metadata.namespace = sysNs;
        d.spec.replicas = 1; // one is enough here and spares the shared CPUs
        workload.push(d);
        break;
      case 'ValidatingWebhookConfiguration':
      case 'MutatingWebhookConfiguration':
        d.metadata.name = `etcd-webhook-${key}`;
        clusterScoped.push([d.kind.toLowerCase(), d.metadata.name]);
        for (const w of d.webhooks) {
          w.clientConfig.service.namespace = sysNs;
          w.clientConfig.caBundle = caBundle;
          w.namespaceSelector = { matchLabels: { [WEBHOOK_LABEL]: key } };
        }
        webhooks.push(d);
        break;
      default:
        d.metadata.namespace = sysNs;
        workload.push(d);
    }
  }
  return { workload, webhooks, clusterScoped };
}

/**
 * Installs the webhook for namespaces labelled with `key` and makes `ns` one of them; resolves once it answers
 * through its Service (a CREATE above --max-size is denied with V1: the schema allows up to 9).
 */
export async function installWebhook(tc: TestCluster, ns: string, key: string): Promise<InstalledWebhook> {
  const must = async (args: string[], input?: string) => {
    const r = await tc.kubectl(args, { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const apply = (docs: unknown[]) => must(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));
  const sysNs = await tc.createNamespace('whsys');
  const dir = mkdtempSync(join(tmpdir(), 'webhook-e2e-'));
  let clusterScoped: string[][] = [];
  const installed: InstalledWebhook = {
    sysNs,
    admit: async (target) => { await must(['label', 'namespace', target, `${WEBHOOK_LABEL}=${key}`, '--overwrite']); },
    async remove() {
      for (const [kind, name] of clusterScoped) await tc.kubectl(['delete', kind, name, '--ignore-not-found']);
      await tc.discardNamespace(sysNs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await installed.admit(ns);
    const ca = makeCa(dir);
    const serving = issueCert(ca, 'serving', [`etcd-webhook.${sysNs}.svc`, `etcd-webhook.${sysNs}.svc.cluster.local`]);
    await must(['-n', sysNs, 'create', 'secret', 'tls', 'etcd-webhook-tls', `--cert=${serving.cert}`, `--key=${serving.key}`]);
    const manifests = webhookManifests(sysNs, key, readFileSync(ca.cert).toString('base64'));
    clusterScoped = manifests.clusterScoped;
    await apply(manifests.workload);
    await must(['-n', sysNs, 'rollout', 'status', 'deployment/etcd-webhook', '--timeout=120s']);
    await apply(manifests.webhooks);
    const probe = 'apiVersion: etcd.k8s-operator.io/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: probe\nspec:\n  size: 8\n';
    await waitFor(async () => {
      const r = await tc.kubectl(['-n', ns, 'create', '--dry-run=server', '-f', '-'], { input: probe });
      return r.code !== 0 && r.stderr.includes('V1:');
    }, { timeoutMs: 60_000, intervalMs: 1000, what: 'the webhook to answer through its Service' });
  } catch (err) {
    await installed.remove();
    throw err;
  }
  return installed;
}
