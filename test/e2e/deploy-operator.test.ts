// The operator deployed as users deploy it: `kubectl apply -k manifests/overlays/local` on a local cluster of its
// own (it installs cluster-wide webhook configurations), controller and webhook as pods under their own
// ServiceAccounts. Checks the rendered manifests of both overlays, server-side dry runs, the RBAC of each
// ServiceAccount, a resize through the in-cluster operator, and leader fail-over during a resize.
// Run with ETCDOP_TEST_CLUSTER=deploy (instance "deploy-operator").
import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Annotations, CLUSTER_LABEL, type EtcdCluster } from '../../core/api.js';
import { RECORD_ANNOTATIONS } from '../../core/resize-record.js';
import { CERTIFICATE_CRD } from '../helpers/cert-manager-crd.js';
import { ROOT, run, useTestCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { getCluster, kubectlOf, type Kubectl } from './controller-harness.js';

jest.setTimeout(10 * 60_000);

const OPERATOR_NS = 'etcd-operator-system';
const LOCAL = join(ROOT, 'manifests/overlays/local');
const CERT_MANAGER = join(ROOT, 'manifests/overlays/cert-manager');
const SA = (name: string) => `system:serviceaccount:${OPERATOR_NS}:${name}`;
const CONTROLLER_SA = SA('etcd-controller');
const WEBHOOK_SA = SA('etcd-webhook');

// Loose shapes of the rendered objects this file looks into.
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // Loosely typed: the tests below check its shape.
  spec?: any;
  webhooks?: { name: string; rules?: { resources: string[] }[]; clientConfig: { caBundle?: string; service?: { name: string; namespace: string; path: string } } }[];
  data?: Record<string, string>;
}

let tc: TestCluster;
let kubectl: Kubectl;
let ns: string;
const timings: Record<string, number> = {};

async function render(dir: string): Promise<Obj[]> {
  return parseAllDocuments(await kubectl(['kustomize', dir])).map((d) => d.toJS() as Obj);
}
const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered; kinds: ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};
const asList = (objs: Obj[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs });

beforeAll(async () => {
  tc = await useTestCluster('operator');
  kubectl = kubectlOf(tc);
  // The local overlay renders only with its generated certificate (what deploy-operator.sh makes first).
  const cert = await run('bash', [join(ROOT, 'localcluster/scripts/webhook-cert.sh')]);
  if (cert.code !== 0) throw new Error(`webhook-cert.sh failed: ${cert.stderr}`);
});

afterAll(async () => {
  if (ns) await tc.discardNamespace(ns);
  if (Object.keys(timings).length) console.log(`deploy e2e wall times (s): ${JSON.stringify(timings)}`);
});

describe('manifests', () => {
  test.each([['local', LOCAL], ['cert-manager', CERT_MANAGER]])('%s overlay: hardened pods, 2 replicas each, leader election, webhook Service and PDB', async (_name, dir) => {
    const objs = await render(dir);
    for (const name of ['etcd-controller', 'etcd-webhook']) {
      const d = find(objs, 'Deployment', name);
      expect(d.metadata.namespace).toBe(OPERATOR_NS);
      expect(d.spec.replicas).toBe(2);
      const pod = d.spec.template.spec;
      expect(pod.serviceAccountName).toBe(name);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod.containers) {
        expect([65532, 1000]).toContain(c.securityContext?.runAsUser ?? pod.securityContext.runAsUser);
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        for (const kind of ['requests', 'limits']) expect(Object.keys(c.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(c.image).toMatch(/^ghcr\.io\/etcd-k8s-operator\/etcd-k8s-operator:/);
        expect(c.command[0]).toBe(name);
      }
    }
    const controller = find(objs, 'Deployment', 'etcd-controller').spec.template.spec.containers[0];
    expect([...controller.command, ...(controller.args ?? [])]).toContain('--leader-elect=true');
    const webhookPodLabels = find(objs, 'Deployment', 'etcd-webhook').spec.template.metadata.labels;
    expect(webhookPodLabels).toMatchObject(find(objs, 'Service', 'etcd-webhook').spec.selector);
    const pdb = find(objs, 'PodDisruptionBudget', 'etcd-webhook');
    expect(webhookPodLabels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBe(1);
    // Admission covers the main resource and /scale, through the webhook's Service.
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      for (const w of find(objs, kind, 'etcd-webhook').webhooks!) {
        expect(w.clientConfig.service).toMatchObject({ name: 'etcd-webhook', namespace: OPERATOR_NS });
      }
    }
    const validated = find(objs, 'ValidatingWebhookConfiguration', 'etcd-webhook').webhooks!.flatMap((w) => w.rules ?? []).flatMap((r) => r.resources);
    expect(validated.sort()).toEqual(['etcdclusters', 'etcdclusters/scale']);
  });

  test('local overlay: the generated CA is the caBundle of both webhook configurations and signs the Secret mounted by the webhook', async () => {
    const objs = await render(LOCAL);
    const secret = find(objs, 'Secret', 'etcd-webhook-tls');
    expect(secret.metadata.namespace).toBe(OPERATOR_NS);
    expect(Object.keys(secret.data!).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      for (const w of find(objs, kind, 'etcd-webhook').webhooks!) expect(w.clientConfig.caBundle).toBe(secret.data!['ca.crt']);
    }
    const volumes = find(objs, 'Deployment', 'etcd-webhook').spec.template.spec.volumes as { secret?: { secretName: string } }[];
    expect(volumes.map((v) => v.secret?.secretName)).toContain('etcd-webhook-tls');
    // The serving certificate names the Service the API server calls.
    const verify = await run('openssl', ['verify', '-CAfile', join(LOCAL, 'generated/ca.crt'), '-verify_hostname', `etcd-webhook.${OPERATOR_NS}.svc`, join(LOCAL, 'generated/tls.crt')]);
    expect(verify.stdout + verify.stderr).toMatch(/: OK/);
  });

  test('cert-manager overlay: self-signed root -> CA Issuer -> serving Certificate in the Secret the webhook mounts, CA injected into both configurations', async () => {
    const objs = await render(CERT_MANAGER);
    const cm = objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/'));
    expect(cm.every((o) => o.apiVersion === 'cert-manager.io/v1' && o.metadata.namespace === OPERATOR_NS)).toBe(true);
    expect(objs.some((o) => o.kind === 'Secret')).toBe(false); // cert-manager writes it
    const issuers = new Map(cm.filter((o) => o.kind === 'Issuer').map((o) => [o.metadata.name, o.spec]));
    const certs = cm.filter((o) => o.kind === 'Certificate');
    const servingSecret = (find(objs, 'Deployment', 'etcd-webhook').spec.template.spec.volumes as { secret?: { secretName: string } }[])
      .find((v) => v.secret)!.secret!.secretName;
    const serving = certs.find((c) => c.spec.secretName === servingSecret);
    expect(serving).toBeDefined();
    expect(serving!.spec.isCA).not.toBe(true);
    expect(serving!.spec.dnsNames).toContain(`etcd-webhook.${OPERATOR_NS}.svc`);
    expect(serving!.spec.renewBefore).toBeDefined();
    // Its issuer is a CA Issuer whose key pair a CA Certificate issued by a self-signed Issuer keeps.
    expect(serving!.spec.issuerRef.kind).toBe('Issuer');
    const caIssuer = issuers.get(serving!.spec.issuerRef.name);
    expect(caIssuer?.ca?.secretName).toBeDefined();
    const caCert = certs.find((c) => c.spec.secretName === caIssuer.ca.secretName);
    expect(caCert?.spec.isCA).toBe(true);
    expect(issuers.get(caCert!.spec.issuerRef.name)?.selfSigned).toEqual({});
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const wc = find(objs, kind, 'etcd-webhook');
      expect(wc.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(`${OPERATOR_NS}/${serving!.metadata.name}`);
      for (const w of wc.webhooks!) expect(w.clientConfig.caBundle).toBeUndefined();
    }
  });
});

describe('deployed on the local cluster', () => {
  test('deploy-operator.sh (kubectl apply -k manifests/overlays/local): both Deployments Ready with 2 pods each under their ServiceAccounts', async () => {
    const t0 = Date.now();
    const deploy = await run('bash', [join(ROOT, 'localcluster/scripts/deploy-operator.sh'), tc.kubeconfig], { timeoutMs: 300_000 });
    timings.deployOperator = (Date.now() - t0) / 1000;
    expect(deploy.stderr).toBe('');
    expect(deploy.code).toBe(0);
    for (const name of ['etcd-controller', 'etcd-webhook']) {
      const pods = JSON.parse(await kubectl(['-n', OPERATOR_NS, 'get', 'pods', '-l', `app.kubernetes.io/name=${name}`, '-o', 'json'])) as {
        items: { metadata: { deletionTimestamp?: string }; spec: { serviceAccountName: string }; status: { conditions?: { type: string; status: string }[] } }[];
      };
      const live = pods.items.filter((p) => !p.metadata.deletionTimestamp);
      expect(live).toHaveLength(2);
      for (const p of live) {
        expect(p.spec.serviceAccountName).toBe(name);
        expect(p.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      }
    }
  });

  test('both overlays apply with --dry-run=server (cert-manager kinds, which have no CRD here, are checked by shape above)', async () => {
    expect(await kubectl(['apply', '--dry-run=server', '-k', LOCAL])).toMatch(/deployment\.apps\/etcd-webhook (unchanged|configured) \(server dry run\)/);
    const policyV1 = (await tc.kubectl(['get', '--raw', '/apis/policy/v1'])).code === 0;
    const rest = (await render(CERT_MANAGER))
      .filter((o) => !o.apiVersion.startsWith('cert-manager.io/'))
      // policy/v1 PDBs exist from Kubernetes 1.21; the same object as v1beta1 on an older server (what the local overlay does).
      .map((o) => (o.kind === 'PodDisruptionBudget' && !policyV1 ? { ...o, apiVersion: 'policy/v1beta1' } : o));
    const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: asList(rest) });
    for (const kind of ['customresourcedefinition.apiextensions.k8s.io', 'deployment.apps', 'validatingwebhookconfiguration.admissionregistration.k8s.io', 'poddisruptionbudget.policy']) {
      expect(out).toMatch(new RegExp(`^${kind.replace(/\./g, '\\.')}/\\S+ \\w+ \\(server dry run\\)$`, 'm'));
    }
  });

  // [verb, resource (RESOURCE[/NAME], a subresource after "#"), namespace ('' = all namespaces), expected]
  type Check = [string, string, string, boolean];
  const denied: Check[] = [
    ['list', 'secrets', '', false], ['watch', 'secrets', '', false], ['list', 'secrets', 'default', false], ['delete', 'secrets', 'default', false],
    ['delete', 'namespaces', '', false], ['create', 'namespaces', '', false],
    ['create', 'deployments.apps', 'default', false], ['patch', 'deployments.apps', OPERATOR_NS, false], ['delete', 'deployments.apps', 'default', false],
    ['create', 'daemonsets.apps', 'default', false], ['delete', 'daemonsets.apps', 'default', false], ['patch', 'replicasets.apps', 'default', false],
    ['create', 'cronjobs.batch', 'default', false], ['delete', 'statefulsets.apps', 'default', false],
    ['create', 'pods', 'default', false], ['create', 'pods#exec', 'default', false],
    ['update', 'etcdclusters.etcd.k8s-operator.io', 'default', false], ['delete', 'etcdclusters.etcd.k8s-operator.io', 'default', false],
    ['create', 'clusterrolebindings.rbac.authorization.k8s.io', '', false], ['escalate', 'clusterroles.rbac.authorization.k8s.io', '', false],
    ['impersonate', 'serviceaccounts', '', false], ['create', 'serviceaccounts#token', OPERATOR_NS, false],
    ['update', 'validatingwebhookconfigurations.admissionregistration.k8s.io', '', false],
  ];
  const checks: Record<string, Check[]> = {
    [CONTROLLER_SA]: [
      ['watch', 'etcdclusters.etcd.k8s-operator.io', '', true], ['patch', 'etcdclusters.etcd.k8s-operator.io#status', 'default', true],
      ['create', 'statefulsets.apps', 'default', true], ['patch', 'statefulsets.apps', 'default', true], ['watch', 'statefulsets.apps', '', true],
      ['create', 'services', 'default', true], ['create', 'configmaps', 'default', true], ['update', 'configmaps', 'default', true],
      ['create', 'poddisruptionbudgets.policy', 'default', true], ['patch', 'poddisruptionbudgets.policy', 'default', true],
      ['watch', 'pods', '', true], ['patch', 'pods', 'default', true], ['watch', 'persistentvolumeclaims', '', true], ['delete', 'persistentvolumeclaims', 'default', true],
      // A replaced member's pod is restarted (or, on a node that does not answer, deleted for good).
      ['delete', 'pods', 'default', true],
      ['create', 'events', 'default', true], ['list', 'events', 'default', true],
      ['create', 'leases.coordination.k8s.io', OPERATOR_NS, true], ['update', 'leases.coordination.k8s.io/etcd-controller', OPERATOR_NS, true],
      // The Lease rights stop at its own Lease in its own namespace.
      ['update', 'leases.coordination.k8s.io/kube-controller-manager', OPERATOR_NS, false], ['create', 'leases.coordination.k8s.io', 'kube-system', false],
      // TLS clusters: a Secret read by name, created, renewed; never listed (above) or patched; cert-manager Certificates created.
      ['get', 'secrets', 'default', true], ['create', 'secrets', 'default', true], ['update', 'secrets', 'default', true], ['patch', 'secrets', 'default', false],
      ['create', 'certificates.cert-manager.io', 'default', true], ['delete', 'certificates.cert-manager.io', 'default', false],
      ['create', 'networkpolicies.networking.k8s.io', 'default', true], ['patch', 'networkpolicies.networking.k8s.io', 'default', true], ['delete', 'networkpolicies.networking.k8s.io', 'default', false],
      // The informer cache watches every kind it reads (Secrets excepted: read by name).
      ['watch', 'endpoints', '', true], ['watch', 'services', '', true], ['watch', 'configmaps', '', true], ['watch', 'networkpolicies.networking.k8s.io', '', true],
      // Backups: the snapshot and restore Jobs (created, deleted once recorded, never changed), PVC NAME-backups and a restored member 0's.
      ['create', 'jobs.batch', 'default', true], ['delete', 'jobs.batch', 'default', true], ['watch', 'jobs.batch', '', true], ['patch', 'jobs.batch', 'default', false],
      ['create', 'persistentvolumeclaims', 'default', true],
      ...denied,
    ],
    [WEBHOOK_SA]: [
      ['get', 'etcdclusters.etcd.k8s-operator.io', 'default', true], ['watch', 'etcdclusters.etcd.k8s-operator.io', '', true],
      ['create', 'events', 'default', true],
      ['patch', 'etcdclusters.etcd.k8s-operator.io#status', 'default', false], ['create', 'statefulsets.apps', 'default', false],
      ['list', 'pods', '', false], ['delete', 'pods', 'default', false], ['delete', 'persistentvolumeclaims', 'default', false], ['create', 'leases.coordination.k8s.io', OPERATOR_NS, false],
      ['get', 'secrets', '', false], ['get', 'secrets', OPERATOR_NS, false],
      // V13 looks up the backups PVC a restore reads from.
      ['get', 'persistentvolumeclaims', 'default', true], ['create', 'jobs.batch', 'default', false],
      ...denied,
    ],
  };

  test.each(Object.keys(checks))('kubectl auth can-i --as %s: what it needs and nothing of Secrets beyond those of TLS clusters, of namespaces or other workloads', async (user) => {
    // kubectl resolves certificates.cert-manager.io only where the API exists (cert-manager is not installed here).
    await tc.applyCrd(JSON.stringify(CERTIFICATE_CRD), CERTIFICATE_CRD.metadata.name);
    const wrong: string[] = [];
    await Promise.all(checks[user]!.map(async ([verb, resource, namespace, expected]) => {
      // The ServiceAccount's user with the groups every ServiceAccount token carries, so a group binding would show.
      const [target, sub] = resource.split('#');
      const args = ['auth', 'can-i', verb, target!, ...(sub ? [`--subresource=${sub}`] : []), '--as', user, '--as-group', 'system:serviceaccounts',
        '--as-group', `system:serviceaccounts:${OPERATOR_NS}`, '--as-group', 'system:authenticated', ...(namespace ? ['-n', namespace] : ['-A'])];
      const r = await tc.kubectl(args);
      const answer = r.stdout.trim();
      if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stdout}${r.stderr}`);
      if ((answer === 'yes') !== expected) wrong.push(`${verb} ${resource} ${namespace || '(all namespaces)'}: ${answer}, want ${expected ? 'yes' : 'no'}`);
    }));
    expect(wrong).toEqual([]);
  });

  const NAME = 'deployed';
  /** Converged = status shows `size` healthy voting members and ready pods for the current generation. */
  async function converged(size: number): Promise<EtcdCluster | false> {
    const c = await getCluster(kubectl, ns, NAME);
    const s = c.status;
    const ok = s && s.observedGeneration === c.metadata.generation && s.phase === 'Running' && s.size === size && s.readyReplicas === size &&
      s.members?.length === size && s.members.every((m) => !m.isLearner && m.healthy);
    return ok ? c : false;
  }
  const convergedTo = (size: number, timeoutMs: number) =>
    waitFor(() => converged(size), { timeoutMs, intervalMs: 1000, what: `EtcdCluster ${NAME} to run ${size} healthy voting members` });

  test('an EtcdCluster goes 1 -> 3 through the in-cluster webhook and controller', async () => {
    ns = await tc.createNamespace('deploy');
    const t0 = Date.now();
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: NAME }, spec: { size: 1 } }) });
    const created = await convergedTo(1, 120_000);
    timings.create1 = (Date.now() - t0) / 1000;
    // The mutating webhook answers through its Service with the overlay's caBundle: it refuses a name that
    // cannot work before the schema does, and leaves no recorded intent on the object it admitted.
    const badName = await tc.kubectl(['-n', ns, 'create', '--dry-run=server', '-f', '-'], { input: JSON.stringify({ apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdCluster', metadata: { name: '1bad' }, spec: { size: 1 } }) });
    expect(badName.code).not.toBe(0);
    expect(badName.stderr).toMatch(/admission webhook "mutate\.etcd\.k8s-operator\.io" denied the request: V6: /);
    expect(RECORD_ANNOTATIONS.filter((k) => created.metadata.annotations?.[k] !== undefined)).toEqual([]);
    // The validating webhook answers through the Service too.
    const tooBig = await tc.kubectl(['-n', ns, 'scale', 'etcdcluster', NAME, '--replicas', '8']);
    expect(tooBig.code).not.toBe(0);
    expect(tooBig.stderr).toMatch(/denied the request: V1: .*got 8/);

    const t1 = Date.now();
    await kubectl(['-n', ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"size":3}}']);
    const grown = await convergedTo(3, 180_000);
    timings.resize1to3 = (Date.now() - t1) / 1000;
    // The validating webhook recorded the request (an Event: the object carries no intent), the controller read it.
    expect(RECORD_ANNOTATIONS.filter((k) => grown.metadata.annotations?.[k] !== undefined)).toEqual([]);
    const requests = JSON.parse(await kubectl(['-n', ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME},reason=ResizeRequested`, '-o', 'json'])) as { items: { metadata: { annotations: Record<string, string> } }[] };
    expect(requests.items.map((e) => e.metadata.annotations)).toContainEqual(expect.objectContaining({ [Annotations.previousSize]: '1', [Annotations.intendedSize]: '3', [Annotations.requestedBy]: 'admin' }));
    expect(grown.status?.lastResize).toMatchObject({ from: 1, to: 3, requestedBy: 'admin' });
    expect(grown.status?.lastResize?.completedAt).toBeDefined();
    // The work was done by the Lease holder, one of the controller's pods (no other controller runs on this instance).
    const holder = await leaseHolder();
    expect(await controllerPods()).toContain(holder.pod);
    const sts = JSON.parse(await kubectl(['-n', ns, 'get', 'statefulset', NAME, '-o', 'json'])) as { spec: { replicas: number } };
    expect(sts.spec.replicas).toBe(3);
  });

  interface Lease { holderIdentity: string; leaseDurationSeconds: number; acquireTime: string; renewTime: string; leaseTransitions: number }
  /** The controller's identity is POD_RANDOM (hostname is the pod name). */
  async function leaseHolder(): Promise<Lease & { pod: string }> {
    const spec = (JSON.parse(await kubectl(['-n', OPERATOR_NS, 'get', 'lease', 'etcd-controller', '-o', 'json'])) as { spec: Lease }).spec;
    return { ...spec, pod: spec.holderIdentity.slice(0, spec.holderIdentity.lastIndexOf('_')) };
  }
  async function controllerPods(): Promise<string[]> {
    const pods = JSON.parse(await kubectl(['-n', OPERATOR_NS, 'get', 'pods', '-l', 'app.kubernetes.io/name=etcd-controller', '-o', 'json'])) as {
      items: { metadata: { name: string; deletionTimestamp?: string }; status: { conditions?: { type: string; status: string }[] } }[];
    };
    return pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata.name).sort();
  }

  test('the leading controller pod killed during a resize 3 -> 5: the other replica takes over within the lease duration and the resize completes', async () => {
    expect(await converged(3)).not.toBe(false);
    const before = await leaseHolder();
    const standby = (await controllerPods()).filter((p) => p !== before.pod);
    expect(standby).toHaveLength(1);
    const pid = await tc.containerPid(OPERATOR_NS, before.pod, 'controller');
    expect(existsSync(`/proc/${pid}`)).toBe(true);

    await kubectl(['-n', ns, 'patch', 'etcdcluster', NAME, '--type', 'merge', '-p', '{"spec":{"size":5}}']);
    await waitFor(async () => (await getCluster(kubectl, ns, NAME)).status?.phase === 'Scaling', { timeoutMs: 30_000, intervalMs: 200, what: 'the resize to start' });
    const killedAt = Date.now();
    // A crash: the process is SIGKILLed (no graceful Lease release) and its pod object goes, so the Deployment
    // replaces it elsewhere rather than the kubelet restarting it in place.
    process.kill(pid, 'SIGKILL');
    await kubectl(['-n', OPERATOR_NS, 'delete', 'pod', before.pod, '--grace-period=0', '--force']);
    // The premise: killed mid-resize, with the leader's process gone.
    expect((await getCluster(kubectl, ns, NAME)).status?.size).toBeLessThan(5);
    await waitFor(() => !existsSync(`/proc/${pid}`), { timeoutMs: 10_000, intervalMs: 100, what: `the leader's process ${pid} to be killed` });

    // The dead leader's last renewal: the Lease as it is now, before anyone else takes it.
    const last = await leaseHolder();
    const after = await waitFor(async () => {
      const l = await leaseHolder();
      return l.holderIdentity !== before.holderIdentity ? l : false;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'another controller to take the Lease' });
    expect(last.holderIdentity).toBe(before.holderIdentity);
    timings.leaderTakeoverAfterKill = (Date.parse(after.acquireTime) - killedAt) / 1000;
    const sinceRenewal = (Date.parse(after.acquireTime) - Date.parse(last.renewTime)) / 1000;
    timings.leaderTakeoverAfterLastRenewal = sinceRenewal;
    expect(after.pod).toBe(standby[0]);
    expect(after.leaseTransitions).toBe(before.leaseTransitions + 1);
    // Never before the Lease expired (two leaders), and within its duration plus the standby's polling: it retries
    // every 2 s and saw the last renewal up to one retry late.
    expect(sinceRenewal).toBeGreaterThanOrEqual(before.leaseDurationSeconds);
    expect(sinceRenewal).toBeLessThanOrEqual(before.leaseDurationSeconds + 4);

    const t1 = Date.now();
    const done = await convergedTo(5, 240_000);
    timings.resizeCompletedAfterTakeover = (Date.now() - t1) / 1000;
    expect(done.status?.lastResize).toMatchObject({ from: 3, to: 5 });
    // No stray or duplicate members: exactly demo-0..4, and the pods and PVCs of those only.
    expect(done.status!.members!.map((m) => m.name).sort()).toEqual([0, 1, 2, 3, 4].map((k) => `${NAME}-${k}`));
    expect(new Set(done.status!.members!.map((m) => m.id)).size).toBe(5);
    const pvcs = JSON.parse(await kubectl(['-n', ns, 'get', 'pvc', '-l', `${CLUSTER_LABEL}=${NAME}`, '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    expect(pvcs.items.map((p) => p.metadata.name).sort()).toEqual([0, 1, 2, 3, 4].map((k) => `data-${NAME}-${k}`));
    // The Deployment replaced the killed pod: two replicas again.
    await waitFor(async () => (await controllerPods()).length === 2, { timeoutMs: 60_000, what: 'two Ready controller pods again' });
  });
});
