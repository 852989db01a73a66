// E2E tests run against a real local cluster instance (localcluster/scripts/cluster-up.sh): the one named
// by ETCDOP_TEST_CLUSTER (default "e2e"), started here unless it already runs healthy. Instances this run
// started are stopped by test/helpers/cluster-teardown.ts (jest globalTeardown) unless ETCDOP_KEEP_CLUSTER=1.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KUBECTL = process.env.ETCDOP_KUBECTL ?? '/usr/bin/kubectl';
/** Marker files of instances started by a test run, one folder per run (read by the globalTeardown). */
export const STARTED_DIR = join(ROOT, '.local/test-started-clusters');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface TestCluster {
  /** Instance name (ETCDOP_TEST_CLUSTER or "e2e"). */
  name: string;
  /** Admin kubeconfig of the instance. */
  kubeconfig: string;
  /** .local/clusters/<name>/: logs/ of the control plane and nodes, nodes/<K>/ (containerd, volumes). */
  stateDir: string;
  /** Runs /usr/bin/kubectl with the instance's kubeconfig; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Creates a namespace named PREFIX-<random> and waits for its default ServiceAccount. */
  createNamespace(prefix: string): Promise<string>;
  /**
   * A test's teardown: starts the namespace's deletion and returns. Waiting for it costs a file 80-120 s (an etcd
   * pod cut off from its peers takes its 30 s grace and more to stop, then the namespace controller backs off up
   * to 40 s), and nothing after a file depends on its namespace being gone.
   */
  discardNamespace(namespace: string): Promise<void>;
  /** Applies the EtcdCluster CRD and waits until it is Established; throws with kubectl's error. */
  installCrd(): Promise<void>;
  /** Applies a CRD (YAML or JSON) and waits until the API server serves it. */
  applyCrd(manifest: string, name: string): Promise<void>;
  /** A container's output (kubectl logs, current instance); throws with kubectl's error. */
  logs(namespace: string, pod: string, container?: string): Promise<string>;
  /** The host pid of a container's main process, from its node's containerd (`ctr task ls`). */
  containerPid(namespace: string, pod: string, container: string): Promise<number>;
  /** Stops (freezes every process of) or starts again one node: localcluster/scripts/node.sh. */
  node(action: 'stop' | 'start', node: string): Promise<void>;
}

/** Runs a program; resolves with its exit code and output (code -1 and a message on timeout). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timeoutMs = opts.timeoutMs ?? 60000;
    const timer = setTimeout(() => {
      stderr += `\n[timed out after ${timeoutMs} ms: ${cmd} ${args.join(' ')}]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); resolvePromise({ code: -1, stdout, stderr: `${stderr}${err.message}` }); });
    child.on('close', (code) => { clearTimeout(timer); resolvePromise({ code: code ?? -1, stdout, stderr }); });
    child.stdin.on('error', () => undefined); // a program that exits without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the failure message ("3 etcd pods Ready"). */
  what: string;
}

/**
 * Calls fn until it returns a value other than undefined/false (which is returned); a throw counts as
 * "not yet". On timeout fails with `what` and the last error or value seen.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no attempt finished';
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value as T;
      last = `last result: ${String(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what} (${last})`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

const script = (name: string): string => join(ROOT, 'localcluster/scripts', name);

/**
 * Starts (or reuses, when it runs healthy) the test cluster instance. A test that installs cluster-wide
 * things (the deployed operator, its webhook configurations) asks for a `variant`: an instance of its own.
 */
export async function useTestCluster(variant?: string): Promise<TestCluster> {
  const base = process.env.ETCDOP_TEST_CLUSTER || 'e2e';
  const name = variant ? `${base}-${variant}` : base;
  const stateDir = join(ROOT, '.local/clusters', name);
  const kubeconfig = join(stateDir, 'kubeconfig');
  const status = () => run('bash', [script('cluster-status.sh'), '--name', name], { timeoutMs: 30000 });
  const first = await status();
  if (first.code === 2) {
    // Its processes run (maybe under another test file's load): wait for it rather than restart it under them.
    await waitFor(async () => (await status()).code === 0, { timeoutMs: 90000, intervalMs: 1000, what: `local cluster "${name}" to be healthy` });
  } else if (first.code !== 0) {
    // cluster-up serialises on the instance lock: of concurrent callers one starts it, the others find it running.
    let up = await run('bash', [script('cluster-up.sh'), '--name', name], { timeoutMs: 300000 });
    if (up.code !== 0 && /partially running/.test(up.stderr)) {
      await run('bash', [script('cluster-down.sh'), '--name', name], { timeoutMs: 120000 });
      up = await run('bash', [script('cluster-up.sh'), '--name', name], { timeoutMs: 300000 });
    }
    if (up.code !== 0) throw new Error(`cluster-up --name ${name} failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
    if (!/already running/.test(up.stdout)) {
      const mine = join(STARTED_DIR, process.env.ETCDOP_TEST_RUN ?? 'unnamed-run');
      mkdirSync(mine, { recursive: true });
      writeFileSync(join(mine, name), `${new Date().toISOString()}\n`);
    }
  }
  const kubectl = (args: string[], opts: RunOptions = {}): Promise<RunResult> =>
    run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeoutMs: 60000, ...opts });
  const applyCrd = async (manifest: string, crd: string): Promise<void> => {
    const r = await kubectl(['apply', '-f', '-'], { input: manifest });
    if (r.code !== 0) throw new Error(`kubectl apply of CRD ${crd} failed (exit ${r.code}): ${r.stderr.trim()}`);
    // Polled, not `kubectl wait`: kubectl 1.20's wait fails at once on a CRD whose status has no conditions yet.
    await waitFor(async () => {
      const got = await kubectl(['get', 'crd', crd, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      return got.code === 0 && got.stdout.trim() === 'True';
    }, { timeoutMs: 30000, intervalMs: 250, what: `CRD ${crd} Established` });
  };
  return {
    name, kubeconfig, stateDir, kubectl,
    async createNamespace(prefix: string): Promise<string> {
      const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
      const created = await kubectl(['create', 'namespace', ns]);
      if (created.code !== 0) throw new Error(`kubectl create namespace ${ns}: ${created.stderr}`);
      // Pods are refused until the controller-manager has made the namespace's default ServiceAccount.
      await waitFor(async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', ns])).code === 0,
        { timeoutMs: 30000, what: `ServiceAccount default in namespace ${ns}` });
      return ns;
    },
    async discardNamespace(namespace: string): Promise<void> {
      const r = await kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
      if (r.code !== 0) throw new Error(`kubectl delete namespace ${namespace}: ${r.stderr.trim()}`);
    },
    async logs(namespace: string, pod: string, container?: string): Promise<string> {
      const r = await kubectl(['-n', namespace, 'logs', pod, ...(container ? ['-c', container] : []), '--request-timeout=10s']);
      if (r.code !== 0) throw new Error(`kubectl logs ${namespace}/${pod}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async containerPid(namespace: string, pod: string, container: string): Promise<number> {
      const got = await kubectl(['-n', namespace, 'get', 'pod', pod, '-o', 'json']);
      if (got.code !== 0) throw new Error(`kubectl get pod ${namespace}/${pod}: ${got.stderr.trim()}`);
      const p = JSON.parse(got.stdout) as { spec: { nodeName?: string }; status: { containerStatuses?: { name: string; containerID?: string }[] } };
      const id = p.status.containerStatuses?.find((c) => c.name === container)?.containerID?.replace(/^containerd:\/\//, '');
      const k = /-node-(\d+)$/.exec(p.spec.nodeName ?? '')?.[1];
      if (!id || !k) throw new Error(`pod ${namespace}/${pod} has no running container ${container} on a node (node ${p.spec.nodeName ?? 'none'})`);
      const tasks = await run('ctr', ['-a', join(stateDir, 'nodes', k, 'containerd.sock'), '-n', 'k8s.io', 'task', 'ls'], { timeoutMs: 10000 });
      const line = tasks.stdout.split('\n').find((l) => l.startsWith(`${id} `));
      const pid = Number(line?.trim().split(/\s+/)[1]);
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`containerd of ${p.spec.nodeName} lists no task ${id}: ${tasks.stderr || tasks.stdout}`);
      return pid;
    },
    async node(action: 'stop' | 'start', node: string): Promise<void> {
      const r = await run('bash', [script('node.sh'), '--name', name, action, node], { timeoutMs: 30000 });
      if (r.code !== 0) throw new Error(`node.sh ${action} ${node}: ${r.stdout}${r.stderr}`);
    },
    installCrd: () => applyCrd(readFileSync(join(ROOT, 'manifests/base/crd/etcdclusters.yaml'), 'utf8'), 'etcdclusters.etcd.k8s-operator.io'),
    applyCrd,
  };
}
