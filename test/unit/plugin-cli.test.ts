// The built plugin (bin/kubectl-etcd, bin/kubectl_complete-etcd) run as a process against a stand-in API
// server: exit codes, stdout/stderr split, partial results, and the scale flow's order of requests.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EtcdCluster } from '../../core/api.js';
import { MockApi, type MockOptions } from './plugin-mock-api.js';
import { ago, cluster, figures, member, pod } from './plugin-fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(root, 'bin', 'kubectl-etcd');
const COMPLETE = join(root, 'bin', 'kubectl_complete-etcd');

interface Result { code: number; stdout: string; stderr: string }

function run(bin: string, args: string[], kubeconfig: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function oneMember(): EtcdCluster {
  const c = cluster(1, [member(0)], { lastResize: undefined });
  c.metadata.generation = 1;
  c.status!.observedGeneration = 1;
  return c;
}

let api: MockApi;
async function serve(o: MockOptions): Promise<MockApi> {
  api = await new MockApi(o).start();
  return api;
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'plugin', 'main.js'))) throw new Error('dist/plugin/main.js is missing: run `make build` first');
});
afterEach(async () => api?.stop());

describe('kubectl-etcd against a stand-in API server', () => {
  test('list: one line per cluster in the context namespace; -A adds NAMESPACE', async () => {
    const { kubeconfig } = await serve({ cluster: cluster(3, [member(0), member(1), member(2)]) });
    const r = await run(BIN, ['list'], kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0].split(/\s{3,}/)).toEqual(['NAME', 'DESIRED', 'MEMBERS', 'READY', 'PHASE', 'LEADER', 'AGE']);
    expect(r.stdout.split('\n')[1]).toMatch(/^demo\s+3\s+3\s+3\s+Running\s+demo-0\s/);
    expect(api.requests[0].path).toBe('/apis/etcd.k8s-operator.io/v1alpha1/namespaces/ns/etcdclusters');
    const all = await run(BIN, ['ls', '-A'], kubeconfig);
    expect(all.stdout.split('\n')[1]).toMatch(/^ns\s+demo\s+3/);
    expect(api.requests.at(-1)!.path).toBe('/apis/etcd.k8s-operator.io/v1alpha1/etcdclusters');
  });

  test('status NAME: every section; figures and their age from status.members, "-" for a member without any', async () => {
    // Read 12 s before the run, by this machine's clock (the plugin ages them against its own).
    const readAt = ago(12, new Date());
    const { kubeconfig } = await serve({
      cluster: cluster(3, [member(0, figures(100, { readAt })), member(1, figures(90, { readAt })), member(2)]),
      pods: [pod(0), pod(1), pod(2)],
    });
    const r = await run(BIN, ['status', 'demo'], kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^\S/.test(l))).toEqual(['Summary', 'Resize', 'Repair', 'Upgrade', 'Members', 'Conditions', 'Events', 'Warnings']);
    expect(r.stdout).toMatch(/demo-1\s+91bc3c398fb3c146\s+follower\s+healthy\s+3\.4\.23\s+24 KiB\s+4\s+90\s+10\s+1[2-9]s\s+yes/);
    expect(r.stdout).toMatch(/demo-2\s+fd422379fda50e48\s+follower\s+healthy\s+-\s+-\s+-\s+-\s+-\s+-\s+yes/);
    expect(r.stdout).toContain("READ: how long ago the controller read each member's figures; LAG only against the leader's read within 5s.");
    expect(r.stdout).toMatch(/Created\s+cluster created/);
  });

  test('status and members read only the EtcdCluster, its pods and Events: no pod proxy, no write', async () => {
    const { kubeconfig } = await serve({ cluster: cluster(3, [member(0, figures(100)), member(1, figures(100)), member(2)]), pods: [pod(0), pod(1), pod(2, false)] });
    for (const args of [['status', 'demo'], ['members', 'demo'], ['status', 'demo', '-o', 'json']]) {
      api.requests.length = 0;
      expect((await run(BIN, args, kubeconfig)).code).toBe(0);
      expect(new Set(api.requests.map((q) => `${q.method} ${q.path}`))).toEqual(new Set([
        'GET /apis/etcd.k8s-operator.io/v1alpha1/namespaces/ns/etcdclusters/demo', 'GET /api/v1/namespaces/ns/pods', 'GET /api/v1/namespaces/ns/events',
      ]));
    }
  });

  test('status with pods forbidden: the figures still show (they are in status), the pods are listed as unreadable', async () => {
    const { kubeconfig } = await serve({ cluster: cluster(1, [member(0, figures(7))], { lastResize: undefined }), forbidden: ['pods'] });
    const r = await run(BIN, ['status', 'demo'], kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/demo-0\s+8e9e05c52164694d\s+leader\s+healthy\s+3\.4\.23\s+24 KiB\s+4\s+7\s+0\s+\S+\s+no pod/);
    expect(r.stdout.trimEnd().split('\n').slice(-2)).toEqual(['Could not read', '  - pods: forbidden: pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "ns"']);
  });

  test('status -o json: .status is what the server stores; yaml parses too', async () => {
    const c = cluster(3, [member(0, figures(7)), member(1), member(2)]);
    const { kubeconfig } = await serve({ cluster: c, pods: [pod(0)] });
    const r = await run(BIN, ['status', 'demo', '-o', 'json'], kubeconfig);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.status).toEqual(JSON.parse(JSON.stringify(c.status)));
    expect(report.members.find((m: { name: string }) => m.name === 'demo-0')).toMatchObject({ raftIndex: 7, version: '3.4.23', readAt: c.status!.members![0].readAt, lag: 0 });
    expect(report.couldNotRead).toEqual([]);
    const y = await run(BIN, ['status', 'demo', '-o', 'yaml'], kubeconfig);
    const { parse } = await import('yaml');
    expect(parse(y.stdout).status).toEqual(report.status);
  });

  test('errors say what and where: cluster not found, CRD missing, API unreachable', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    const missing = await run(BIN, ['status', 'nope'], kubeconfig);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('EtcdCluster "nope" in namespace "ns" not found');
    expect(missing.stderr).toContain('kubectl etcd list -A');
    const other = await run(BIN, ['status', 'nope', '-n', 'other'], kubeconfig);
    expect(other.stderr).toContain('namespace "other"');
    await api.stop();
    const noCrd = await serve({ cluster: oneMember(), noCrd: true });
    const crd = await run(BIN, ['list'], noCrd.kubeconfig);
    expect(crd.code).toBe(1);
    expect(crd.stderr).toContain('CRD (etcdclusters.etcd.k8s-operator.io) is not installed');
    await api.stop();
    const down = await run(BIN, ['status', 'demo'], noCrd.kubeconfig);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the API server at http:\/\/127\.0\.0\.1:\d+ \(context "mock"\).*ECONNREFUSED/);
  });

  test('scale --yes 1 -> 3: plan on stdout, dry run before the change, progress on stderr, exit 0', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '3', '--yes'], kubeconfig);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. add demo-1 as learner, start pod demo-1, promote demo-1 (voting 2, quorum 2, tolerates 0)');
    expect(r.stdout).toContain('2. add demo-2 as learner, start pod demo-2, promote demo-2 (voting 3, quorum 2, tolerates 1)');
    expect(r.stdout).toContain('demo: resized 1 -> 3');
    expect(r.stderr).toMatch(/learner demo-1/);
    expect(r.stderr).toMatch(/step: AddingLearner: added demo-2 as learner/);
    expect(r.stderr).toMatch(/step: PromotedLearner: promoted demo-1/);
    const patches = api.requests.filter((q) => q.method === 'PATCH');
    expect(patches.map((p) => p.query.get('dryRun'))).toEqual(['All', null]);
    expect(patches.every((p) => p.query.get('fieldManager') === 'kubectl-etcd' && p.body === '{"spec":{"replicas":3}}')).toBe(true);
    expect(api.o.cluster.status).toMatchObject({ size: 3, phase: 'Running' });
  });

  test('scale denied by the shared policy: exit 2 with the rule, and nothing sent', async () => {
    const c = cluster(3, [member(0), member(1, { healthy: false }), member(2)]);
    const { kubeconfig } = await serve({ cluster: c });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '5', '--yes'], kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: V4: cannot grow demo from 3 to 5 while 1 of 3 voting members unhealthy \(demo-1\)/);
    expect(api.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
  });

  test('scale denied by the webhook in the server-side dry run: exit 2, no change made', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember(), webhookDenies: 'V1: the requested size must be a whole number from 1 to 3; got 5.' });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '5', '--yes'], kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('denied the request: V1: the requested size must be a whole number from 1 to 3; got 5.');
    expect(api.patches(false)).toEqual([]);
    expect(api.o.cluster.spec.size).toBe(1);
  });

  test('scale --dry-run: the plan and the server verdict, nothing changed, exit 0', async () => {
    const c = cluster(5, [0, 1, 2, 3, 4].map((i) => member(i % 3, { name: `demo-${i}`, id: `${i + 1}`.padStart(16, '0'), healthy: i !== 2 })));
    // repair.policy Manual: the shrink keeps unhealthy demo-2, and the plan says so.
    c.spec.repair = { policy: 'Manual' };
    const { kubeconfig } = await serve({ cluster: c });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '3', '--dry-run'], kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. remove demo-4 (voting 4, healthy 3, quorum 3, tolerates 0), delete PVC data-demo-4');
    expect(r.stdout).toContain('2. remove demo-3 (voting 3, healthy 2, quorum 2, tolerates 0), delete PVC data-demo-3');
    expect(r.stdout).toContain('Tolerates 1 failure now (2 with every member healthy), 0 when done.');
    expect(r.stdout).toContain('Verdict: allowed by the API server (dry run), with 2 warning(s); nothing changed (--dry-run)');
    expect(r.stderr).toContain('Warning: W4: shrinking demo from 5 to 3 keeps unhealthy demo-2');
    expect(r.stderr).toContain('Warning: W2: when resized from 5 to 3, demo tolerates no failure');
    expect(api.patches(true)).toHaveLength(1);
    expect(api.patches(false)).toEqual([]);
    expect(api.o.cluster.spec.size).toBe(5);
  });

  test('scale --dry-run with repair.policy Auto: the shrink ends by replacing the unhealthy member it keeps', async () => {
    const c = cluster(5, [0, 1, 2, 3, 4].map((i) => member(i % 3, { name: `demo-${i}`, id: `${i + 1}`.padStart(16, '0'), healthy: i !== 2 })));
    const { kubeconfig } = await serve({ cluster: c });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '3', '--dry-run'], kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3. remove demo-2 (unhealthy, kept by the shrink) (voting 2, quorum 2, tolerates 0), delete PVC data-demo-2');
    expect(r.stdout).toContain('4. add demo-2 again as a new learner, start pod demo-2, promote demo-2 (voting 3, quorum 2, tolerates 1)');
    expect(r.stdout).toContain('Tolerates 1 failure now (2 with every member healthy), 1 when done.');
    expect(r.stderr).toContain('Warning: W4: shrinking demo from 5 to 3 keeps unhealthy demo-2: replaced at the end');
    expect(r.stderr).not.toContain('W2');
  });

  test('scale --dry-run -o json: toleratesNow, every action with the figures after it, the verdict', async () => {
    const c = cluster(3, [member(0), member(1), member(2, { healthy: false })]);
    const { kubeconfig } = await serve({ cluster: c, warnings: ['server says hi'] });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '2', '--dry-run', '-o', 'json'], kubeconfig);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toEqual({
      cluster: 'demo', namespace: 'ns', from: 3, to: 2, toleratesNow: 0,
      // demo-0 leads: no move of leadership; the unhealthy demo-2 leaves first, so nothing is lost.
      steps: [
        { action: 'remove-member', member: 'demo-2', votingAfter: 2, healthyAfter: 2, quorumAfter: 2, toleratesAfter: 0 },
        { action: 'delete-pvc', member: 'demo-2', votingAfter: 2, healthyAfter: 2, quorumAfter: 2, toleratesAfter: 0 },
      ],
      verdict: { allowed: true, by: 'server', warnings: [expect.stringMatching(/^W1: /), expect.stringMatching(/^W2: /), 'server says hi'] },
    });
    expect(api.patches(false)).toEqual([]);
  });

  test('scale --dry-run denied: by the preflight (nothing sent) or by the server, exit 2 either way', async () => {
    const sick = cluster(3, [member(0), member(1, { healthy: false }), member(2)]);
    const { kubeconfig } = await serve({ cluster: sick });
    const local = await run(BIN, ['scale', 'demo', '--replicas', '5', '--dry-run', '-o', 'json'], kubeconfig);
    expect(local.code).toBe(2);
    expect(JSON.parse(local.stdout).verdict).toEqual({ allowed: false, by: 'preflight', rule: 'V4', message: expect.stringMatching(/^V4: cannot grow demo from 3 to 5/), warnings: [] });
    expect(api.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    await api.stop();
    const denying = await serve({ cluster: oneMember(), webhookDenies: 'V1: the requested size must be a whole number from 1 to 3; got 5.' });
    const server = await run(BIN, ['scale', 'demo', '--replicas', '5', '--dry-run'], denying.kubeconfig);
    expect(server.code).toBe(2);
    expect(server.stdout).toContain('1. add demo-1 as learner, start pod demo-1, promote demo-1 (voting 2, quorum 2, tolerates 0)');
    expect(server.stdout).toMatch(/Verdict: denied by the API server \(dry run\): admission webhook .* denied the request: V1: /);
    expect(api.patches(false)).toEqual([]);
  });

  test('scale -o json without --dry-run is refused before anything is read', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '3', '-o', 'json', '--yes'], kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('add --dry-run');
    expect(api.requests).toEqual([]);
  });

  test('scale warnings: the policy warning once, a server-only warning too', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember(), warnings: ['W1: an even size (2) tolerates no more failures than 1 (0 each); prefer 1 or 3', 'something else'] });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '2', '--yes'], kubeconfig);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/Warning: W1/g)).toHaveLength(1);
    expect(r.stderr).toContain('Warning: something else');
  });

  test('scale timeout: exit 3, saying the resize goes on and how to follow it', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember(), controllerStuck: true });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '3', '--yes', '--timeout', '1s'], kubeconfig);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/timed out after 1s waiting for demo to reach 3 members/);
    expect(r.stderr).toContain('kubectl etcd status demo -n ns --watch');
    expect(api.patches(false)).toHaveLength(1);
  });

  test('Ctrl-C while waiting: stops waiting (exit 130), says the resize goes on and how to follow it', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember(), controllerStuck: true });
    const child = spawn(BIN, ['scale', 'demo', '--replicas', '3', '--yes'], { env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 100 && !stderr.includes('voting'); i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('stopped waiting; the resize to 3 goes on in the cluster: follow it with kubectl etcd status demo -n ns --watch');
      expect(api.o.cluster.spec.size).toBe(3);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('scale without a terminal and without --yes: refuses with exit 1, nothing sent', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    const r = await run(BIN, ['scale', 'demo', '--replicas', '3'], kubeconfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass --yes');
    expect(api.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
  });

  test('upgrade --version: the built entry point takes it as the upgrade\'s flag (yargs\' own --version is off)', async () => {
    const c = cluster(3, [member(0, { version: '3.4.23' }), member(1, { version: '3.4.23' }), member(2, { version: '3.4.23' })], { lastResize: undefined });
    c.spec.version = '3.4.23';
    const { kubeconfig } = await serve({ cluster: c });
    const r = await run(BIN, ['upgrade', 'demo', '--version', '3.5.16', '--dry-run', '-o', 'json'], kubeconfig);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ from: '3.4.23', to: '3.5.16', verdict: { allowed: true, by: 'server' } });
    expect(api.patches(true).map((p) => p.body)).toEqual(['{"spec":{"version":"3.5.16"}}']);
    expect(api.patches(false)).toEqual([]);
  });

  test('usage errors exit 1', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    expect((await run(BIN, ['scale', 'demo'], kubeconfig)).code).toBe(1);
    expect((await run(BIN, ['frobnicate'], kubeconfig)).stderr).toContain('Unknown argument: frobnicate');
    expect((await run(BIN, ['scale', 'demo', '--replicas', '3', '--yes', '--timeout', 'soon'], kubeconfig)).stderr).toContain('--timeout soon: not a duration');
  });

  test('status --watch: redraws when the cluster changes; Ctrl-C exits 0', async () => {
    const { kubeconfig } = await serve({ cluster: cluster(3, [member(0), member(1), member(2)]) });
    const child = spawn(BIN, ['status', 'demo', '--watch'], { env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const until = async (what: () => boolean) => { for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 50)); };
    try {
      await until(() => stdout.includes('Warnings'));
      expect(stdout).toMatch(/Phase:\s+Running/);
      api.o.cluster.status!.phase = 'Degraded';
      api.notify();
      // Sooner than the periodic refresh: the watch event triggers the redraw.
      const t = Date.now();
      await until(() => /Phase:\s+Degraded/.test(stdout));
      expect(stdout).toMatch(/Phase:\s+Degraded/);
      expect(Date.now() - t).toBeLessThan(1500);
      // Non-terminal output: one frame per change, each under a time line.
      expect(stdout.match(/^--- \d{4}-/gm)).toHaveLength(2);
      child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const stillRunning = new Promise((r) => { timer = setTimeout(() => r('still running'), 5000); });
      expect(await Promise.race([exited, stillRunning])).toBe(0);
      clearTimeout(timer);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('completion bash: the script completes kubectl-etcd through kubectl_complete-etcd', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    const script = 'source <(kubectl-etcd completion bash); COMP_WORDS=(kubectl-etcd "$@"); COMP_CWORD=$#; _kubectl_etcd; printf "%s\\n" "${COMPREPLY[@]}"';
    const bash = (...words: string[]) => new Promise<string>((resolve) => {
      execFile('bash', ['-c', script, 'bash', ...words], { env: { ...process.env, KUBECONFIG: kubeconfig, PATH: `${join(root, 'bin')}:${process.env.PATH}` } }, (_e, stdout) => resolve(stdout));
    });
    expect(await bash('s')).toBe('status\nscale\nsnapshot\nsnapshots\n');
    expect(await bash('scale', 'd')).toBe('demo\n');
    expect(await bash('list', '-o', 'j')).toBe('json\n');
  });

  test('kubectl_complete-etcd: cluster names from the API, and nothing but the directive when it is down', async () => {
    const { kubeconfig } = await serve({ cluster: oneMember() });
    expect((await run(COMPLETE, ['status', ''], kubeconfig)).stdout).toBe('demo\n:4\n');
    expect((await run(COMPLETE, ['-n', ''], kubeconfig)).stdout).toBe('ns\ndefault\n:4\n');
    await api.stop();
    const down = await run(COMPLETE, ['scale', ''], kubeconfig);
    expect(down).toEqual({ code: 0, stdout: ':4\n', stderr: '' });
  });
});
