// What the local cluster's nodes (real kubelets, containerd, runc) do for single pods: Service -> Endpoints ->
// an HTTPS server in a pod reached from the host, honest status for images the machine lacks and for crashing
// processes, env/volumes/ServiceAccount token in the pod, probes, graceful deletion.
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { run, useTestCluster, waitFor, type TestCluster } from '../helpers/cluster.js';

const TEST_MS = 180000;
const ETCD_IMAGE = 'gcr.io/etcd-development/etcd:v3.4.23';
// Images the cluster has (built by localcluster/images): a shell and tools; Node with the operator's code.
const BUSYBOX_IMAGE = 'localhost/busybox:1.35.0';
const OPERATOR_IMAGE = 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator:0.1.0';

let cluster: TestCluster;
let ns: string;

interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason: string; message?: string }; running?: object; terminated?: { exitCode: number } };
  lastState: { terminated?: { exitCode: number; reason: string } };
}
interface Pod {
  status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: ContainerStatus[] };
}

async function apply(yaml: string): Promise<void> {
  const r = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

async function pod(name: string): Promise<Pod> {
  const r = await cluster.kubectl(['get', 'pod', name, '-n', ns, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl get pod ${name}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as Pod;
}

const logOf = async (podName: string, container: string): Promise<string> => {
  const r = await cluster.kubectl(['logs', '-n', ns, podName, '-c', container]);
  return r.code === 0 ? r.stdout : '';
};

function httpsGetFrom(ip: string, port: number, path: string): Promise<{ status: number; body: string; encrypted: boolean; issuer: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet({ host: ip, port, path, rejectUnauthorized: false, timeout: 5000, agent: false }, (res) => {
      const sock = res.socket as import('node:tls').TLSSocket;
      const encrypted = sock.encrypted === true;
      const issuer = JSON.stringify(sock.getPeerCertificate()?.issuer ?? {});
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, encrypted, issuer }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

beforeAll(async () => {
  cluster = await useTestCluster();
  ns = await cluster.createNamespace('lc-pods');
}, 2 * TEST_MS); // a cold instance: cluster-up may take up to 300 s with another starting beside it

afterAll(async () => {
  if (ns) await cluster.discardNamespace(ns);
}, TEST_MS);

test('a Service gets Endpoints with the pod address, and the pod\'s HTTPS server answers the host there', async () => {
  await apply(`
apiVersion: v1
kind: Service
metadata: {name: secure}
spec:
  selector: {app: secure}
  ports: [{name: https, port: 2379, targetPort: 2379}]
---
apiVersion: v1
kind: Pod
metadata: {name: secure, labels: {app: secure}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: etcd
    image: ${ETCD_IMAGE}
    command: [etcd]
    args: [--data-dir=/etc/localcluster-test/data, --auto-tls, --listen-client-urls=https://0.0.0.0:2379, --advertise-client-urls=https://$(POD_IP):2379]
    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
    readinessProbe:
      httpGet: {scheme: HTTPS, path: /health, port: 2379}
      periodSeconds: 1
    volumeMounts: [{name: data, mountPath: /etc/localcluster-test/data}]
  volumes: [{name: data, emptyDir: {}}]
`);
  const ready = await waitFor(async () => {
    const p = await pod('secure');
    return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
  }, { timeoutMs: 60000, what: 'pod secure Ready (HTTPS readiness probe)' });
  const podIP = ready.status.podIP!;
  expect(podIP).toMatch(/^10\.244\./);
  const address = await waitFor(async () => {
    const r = await cluster.kubectl(['get', 'endpoints', 'secure', '-n', ns, '-o', 'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}']);
    return r.code === 0 && r.stdout.includes('.') ? r.stdout : undefined;
  }, { timeoutMs: 30000, what: 'Endpoints of Service secure' });
  expect(address).toBe(`${podIP}:2379`);
  const [ip, port] = address.split(':');
  const res = await httpsGetFrom(ip, Number(port), '/health');
  expect(res.encrypted).toBe(true);
  expect(res.issuer).toContain('etcd'); // etcd's own --auto-tls certificate
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toEqual({ health: 'true' });
}, TEST_MS);

test('an image the machine does not have gets the real ErrImagePull / ImagePullBackOff, never Running', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: unknown-image}
spec:
  containers: [{name: web, image: docker.io/library/nginx:1.25}]
`);
  const status = await waitFor(async () => {
    const s = (await pod('unknown-image')).status;
    return s.containerStatuses?.[0]?.state.waiting?.reason === 'ErrImagePull' ? s : undefined;
  }, { timeoutMs: 60000, intervalMs: 200, what: 'pod unknown-image to report ErrImagePull' });
  expect(status.phase).toBe('Pending');
  // containerd's own words: no registry is reachable from a node (cluster DNS answers only cluster names).
  expect(status.containerStatuses![0].state.waiting!.message).toMatch(/docker\.io\/library\/nginx:1\.25/);
  expect(status.containerStatuses![0].ready).toBe(false);
  expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  // The kubelet then backs off, as on any cluster.
  await waitFor(async () => (await pod('unknown-image')).status.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff',
    { timeoutMs: 60000, what: 'pod unknown-image to report ImagePullBackOff' });
  const shown = await cluster.kubectl(['get', 'pod', 'unknown-image', '-n', ns, '--no-headers']);
  expect(shown.stdout).toMatch(/ErrImagePull|ImagePullBackOff/);
}, TEST_MS);

test('a crashing process is restarted with a growing restartCount and its exit code in lastState', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${BUSYBOX_IMAGE}
    command: [/bin/sh, -c, 'echo crash-run; exit 3']
`);
  // Sampled while it waits to be restarted. Not the moment right after an exit: then state.terminated holds that exit
  // and lastState the run before, whose dead container the kubelet may already have removed (it keeps one per
  // container), so lastState is empty for a while on a real kubelet.
  const s = await waitFor(async () => {
    const c = (await pod('crasher')).status.containerStatuses?.[0];
    return c && c.restartCount >= 2 && c.state.waiting?.reason === 'CrashLoopBackOff' ? c : undefined;
  }, { timeoutMs: 90000, intervalMs: 200, what: 'container main of pod crasher restarted twice and in CrashLoopBackOff' });
  expect(s.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  expect(s.ready).toBe(false);
  // The last run left its output. (Not --previous: between restarts the kubelet keeps one dead container per
  // pod and container, the last one, and removes older ones with their logs.)
  expect(await logOf('crasher', 'main')).toMatch(/^crash-run$/m);
}, TEST_MS);

test('env (fieldRef, Secret key), Secret/ConfigMap volumes and a pod-bound ServiceAccount token are in place', async () => {
  await apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello-from-configmap}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: inspector}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${OPERATOR_IMAGE}
    workingDir: /etc/localcluster-test/workdir
    command: [/bin/sh, -c]
    args:
    - |
      sa=/var/run/secrets/kubernetes.io/serviceaccount
      echo "env name=$POD_NAME ns=$POD_NAMESPACE ip=$POD_IP node=$NODE_NAME sa=$SA_NAME password=$PASSWORD api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
      echo "files greeting=$(cat /etc/localcluster-test/settings/greeting) password=$(cat /etc/localcluster-test/creds/password) ns=$(cat $sa/namespace) cwd=$(pwd) host=$(hostname)"
      node -e 'const fs = require("fs"), https = require("https"), sa = "/var/run/secrets/kubernetes.io/serviceaccount";
        https.get({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path: "/api/v1/namespaces/kube-system/pods",
          ca: fs.readFileSync(sa + "/ca.crt"), headers: { authorization: "Bearer " + fs.readFileSync(sa + "/token", "utf8") } },
          (res) => { let b = ""; res.on("data", (d) => b += d); res.on("end", () => console.log("api " + res.statusCode + " " + JSON.parse(b).message)); })
          .on("error", (e) => console.log("api error " + e.message));'
      sleep 1; echo done
      sleep 3600
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: SA_NAME, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    volumeMounts:
    - {name: settings, mountPath: /etc/localcluster-test/settings}
    - {name: creds, mountPath: /etc/localcluster-test/creds, readOnly: true}
  volumes:
  - {name: settings, configMap: {name: settings}}
  - {name: creds, secret: {secretName: creds}}
`);
  const log = await waitFor(async () => {
    const l = await logOf('inspector', 'main');
    return /^done$/m.test(l) ? l : undefined;
  }, { timeoutMs: 60000, what: 'pod inspector to print its report' });
  const p = await pod('inspector');
  const node = (await cluster.kubectl(['get', 'pod', 'inspector', '-n', ns, '-o', 'jsonpath={.spec.nodeName}'])).stdout;
  // The API server as pods see it: the `kubernetes` Service's ClusterIP, routed by kube-proxy on the node.
  const api = (await cluster.kubectl(['get', 'service', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}:{.spec.ports[0].port}'])).stdout;
  expect(log).toContain(`env name=inspector ns=${ns} ip=${p.status.podIP} node=${node} sa=default password=s3cret api=${api}`);
  expect(log).toContain(`files greeting=hello-from-configmap password=s3cret ns=${ns} cwd=/etc/localcluster-test/workdir host=inspector`);
  // The token is real and bound to the pod's ServiceAccount: the API server knows who it is and RBAC says no.
  expect(log).toContain(`api 403 pods is forbidden: User "system:serviceaccount:${ns}:default" cannot list resource "pods"`);
  // The mounts exist only in the pod's own mount namespace.
  expect(() => readFileSync('/etc/localcluster-test/settings/greeting')).toThrow();
}, TEST_MS);

test('probes: tcpSocket readiness and exec liveness inside the pod; a failing liveness probe restarts only its container', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: etcd
    image: ${ETCD_IMAGE}
    command: [etcd, --data-dir=/etc/localcluster-test/state/etcd, --listen-client-urls=http://0.0.0.0:2379, --advertise-client-urls=http://$(POD_IP):2379]
    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
    readinessProbe: {tcpSocket: {port: 2379}, periodSeconds: 1}
    livenessProbe: {exec: {command: [etcdctl, endpoint, health]}, periodSeconds: 2, timeoutSeconds: 3}
    volumeMounts: [{name: state, mountPath: /etc/localcluster-test/state}]
  - name: flaky
    image: ${BUSYBOX_IMAGE}
    # PID 1 of its container: without a handler SIGTERM would be ignored (the kernel's rule for a namespace's
    # init), so it handles it, and the exit code shows the kubelet sent SIGTERM first.
    command: [/bin/sh, -c, 'trap "exit 143" TERM; touch /etc/localcluster-test/state/alive; sleep 2; rm -f /etc/localcluster-test/state/alive; while true; do sleep 0.2; done']
    livenessProbe: {exec: {command: [cat, /etc/localcluster-test/state/alive]}, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 2}
    volumeMounts: [{name: state, mountPath: /etc/localcluster-test/state}]
  volumes: [{name: state, emptyDir: {}}]
`);
  const statuses = await waitFor(async () => {
    const cs = (await pod('probed')).status.containerStatuses ?? [];
    const etcd = cs.find((c) => c.name === 'etcd');
    const flaky = cs.find((c) => c.name === 'flaky');
    return etcd?.ready && flaky && flaky.restartCount >= 1 ? { etcd, flaky } : undefined;
  }, { timeoutMs: 90000, what: 'etcd Ready (tcpSocket) and flaky restarted by its liveness probe' });
  expect(statuses.etcd.restartCount).toBe(0);
  expect(statuses.flaky.lastState.terminated?.exitCode).toBe(143); // SIGTERM from the liveness kill
}, TEST_MS);

test('deletion: SIGTERM first, SIGKILL after the grace period, then the pod is gone with its process', async () => {
  const marker = `stubborn-${ns}`;
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: ${BUSYBOX_IMAGE}
    command: [/bin/sh, -c, 'trap "echo got-TERM" TERM; while true; do sleep 0.2; done # ${marker}']
`);
  await waitFor(async () => (await pod('stubborn')).status.phase === 'Running', { timeoutMs: 30000, what: 'pod stubborn Running' });
  expect((await run('pgrep', ['-f', marker])).code).toBe(0);
  const started = Date.now();
  const deleting = cluster.kubectl(['delete', 'pod', 'stubborn', '-n', ns, '--timeout=90s'], { timeoutMs: 100_000 });
  // Its log is readable while it terminates (and gone with the pod).
  const term = await waitFor(async () => ((await logOf('stubborn', 'main')).includes('got-TERM') ? true : undefined),
    { timeoutMs: 10000, intervalMs: 100, what: 'got-TERM in the log of stubborn while it terminates' });
  const deleted = await deleting;
  const took = Date.now() - started;
  expect(term).toBe(true);
  expect(deleted.code).toBe(0);
  expect(took).toBeGreaterThanOrEqual(1500); // it ignored SIGTERM: only the SIGKILL after 2 s ended it
  // The kubelet deletes the pod object once its containers, volumes and cgroup are gone, at its status
  // manager's next sync (every 10 s): grace period + up to ~12 s on an idle node; with two e2e files running
  // on the 2 CPUs (load average 12) it took more than 30 s.
  expect(took).toBeLessThan(90000);
  expect((await run('pgrep', ['-f', marker])).code).toBe(1);
}, TEST_MS);
