// A stand-in API server for running the plugin end to end without Kubernetes: it serves one EtcdCluster
// (merge patches of it too), its pods and Events, and the /scale subresource, and plays the controller by
// advancing status one step per read after a resize or a change of spec.version. Anything else (a pod proxy
// path among them) is a 404, and every request is recorded, so tests see what the plugin asked for.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ETCD_VERSION, type Condition, type EtcdCluster, type MemberStatus } from '../../core/api.js';
import { minorOf } from '../../core/etcd-version.js';
import type { Pod } from '../../plugin/kube/resources.js';

export interface MockOptions {
  cluster: EtcdCluster;
  pods?: Pod[];
  /** Lists the user may not read (RBAC): answered 403 as the API server does. */
  forbidden?: ('pods' | 'events')[];
  /** The dry-run PATCH is denied with this webhook message. */
  webhookDenies?: string;
  /** Server warnings sent with the PATCH answers. */
  warnings?: string[];
  /** The "controller" never acts on a resize. */
  controllerStuck?: boolean;
  /** Answer every EtcdCluster path as if the CRD were not installed. */
  noCrd?: boolean;
  /** The "controller" records an upgrade, then holds it (Degraded with this reason) and restarts no member. */
  rolloutHeld?: 'RolloutPaused' | 'RolloutStuck';
}

export interface Request { method: string; path: string; query: URLSearchParams; body: string }

export class MockApi {
  readonly requests: Request[] = [];
  private server?: http.Server;
  private watchers = new Set<http.ServerResponse>();
  kubeconfig = '';
  /** The version of the pod template as the "controller" last rendered it. */
  private templateVersion: string;

  constructor(readonly o: MockOptions) {
    this.templateVersion = o.cluster.spec.version ?? DEFAULT_ETCD_VERSION;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const port = (this.server!.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'plugin-mock-'));
    this.kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(this.kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: mock',
      `clusters: [{name: mock, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'users: [{name: u, user: {token: t0ken}}]',
      'contexts: [{name: mock, context: {cluster: mock, user: u, namespace: ns}}]',
    ].join('\n'));
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.end();
    const closed = new Promise<void>((r) => this.server?.close(() => r()));
    // Idle keep-alive connections would hold the server (and jest) open for their timeout.
    this.server?.closeAllConnections();
    await closed;
  }

  /** Sends the cluster as it is now to every open watch. */
  notify(): void {
    for (const w of this.watchers) w.write(`${JSON.stringify({ type: 'MODIFIED', object: this.o.cluster })}\n`);
  }

  patches(dryRun: boolean): Request[] {
    return this.requests.filter((r) => r.method === 'PATCH' && (r.query.get('dryRun') === 'All') === dryRun);
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const r: Request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body };
    this.requests.push(r);
    const send = (code: number, obj: unknown, headers: Record<string, string | string[]> = {}) => {
      res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(obj));
    };
    const status = (code: number, message: string, reason = '') => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
    if (req.headers.authorization !== 'Bearer t0ken') return status(401, 'Unauthorized', 'Unauthorized');
    const c = this.o.cluster;
    const base = '/apis/etcd.k8s-operator.io/v1alpha1';
    if (r.path.startsWith(base) && this.o.noCrd) return status(404, 'the server could not find the requested resource', 'NotFound');
    const list = r.method === 'GET' ? /^\/api\/v1\/namespaces\/ns\/(pods|events)$/.exec(r.path)?.[1] as 'pods' | 'events' | undefined : undefined;
    if (list && this.o.forbidden?.includes(list)) return status(403, `${list} is forbidden: User "alice" cannot list resource "${list}" in API group "" in the namespace "ns"`, 'Forbidden');
    const warningHeader = (this.o.warnings ?? []).map((w) => `299 - "${w.replace(/"/g, '\\"')}"`);
    switch (true) {
      case r.method === 'GET' && r.query.get('watch') === 'true' && r.path === `${base}/namespaces/ns/etcdclusters`:
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'ADDED', object: c })}\n`);
        this.watchers.add(res);
        res.on('close', () => this.watchers.delete(res));
        return;
      case r.method === 'GET' && (r.path === `${base}/etcdclusters` || r.path === `${base}/namespaces/ns/etcdclusters`):
        return send(200, { kind: 'EtcdClusterList', items: [c] });
      case r.method === 'GET' && r.path === `${base}/namespaces/ns/etcdclusters/demo`:
        this.controllerStep();
        return send(200, c);
      case r.method === 'PATCH' && r.path === `${base}/namespaces/ns/etcdclusters/demo`: {
        const patch = JSON.parse(body) as { spec?: Partial<EtcdCluster['spec']>; metadata?: { annotations?: Record<string, string> } };
        if (r.query.get('dryRun') === 'All') {
          if (this.o.webhookDenies) return status(403, `admission webhook "validate.etcd.k8s-operator.io" denied the request: ${this.o.webhookDenies}`, 'Forbidden');
          return send(200, { ...c, spec: { ...c.spec, ...patch.spec } }, { Warning: warningHeader });
        }
        if (patch.spec) {
          c.spec = { ...c.spec, ...patch.spec };
          c.metadata.generation = (c.metadata.generation ?? 1) + 1;
        }
        if (patch.metadata?.annotations) c.metadata.annotations = { ...c.metadata.annotations, ...patch.metadata.annotations };
        return send(200, c, { Warning: warningHeader });
      }
      case r.path.startsWith(`${base}/namespaces/ns/etcdclusters/`) && !r.path.endsWith('/scale'):
        return status(404, `etcdclusters.etcd.k8s-operator.io "${r.path.split('/').pop()}" not found`, 'NotFound');
      case r.method === 'PATCH' && r.path === `${base}/namespaces/ns/etcdclusters/demo/scale`: {
        const replicas = (JSON.parse(body) as { spec: { replicas: number } }).spec.replicas;
        if (r.query.get('dryRun') === 'All') {
          if (this.o.webhookDenies) return status(403, `admission webhook "vscale.etcd.k8s-operator.io" denied the request: ${this.o.webhookDenies}`, 'Forbidden');
        } else {
          c.spec.size = replicas;
          c.metadata.generation = (c.metadata.generation ?? 1) + 1;
        }
        return send(200, { kind: 'Scale', spec: { replicas }, status: { replicas: c.status?.size } }, { Warning: warningHeader });
      }
      case r.method === 'GET' && r.path === '/api/v1/namespaces/ns/pods':
        return send(200, { items: this.o.pods ?? [] });
      case r.method === 'GET' && r.path === '/api/v1/namespaces/ns/events':
        return send(200, { items: [{ metadata: { name: 'e1' }, type: 'Normal', reason: 'Created', message: 'cluster created', lastTimestamp: '2026-11-24T11:00:00Z' }] });
      case r.method === 'GET' && r.path === '/api/v1/namespaces':
        return send(200, { items: [{ metadata: { name: 'ns' } }, { metadata: { name: 'default' } }] });
      default:
        return status(404, `mock: no route for ${r.method} ${r.path}`, 'NotFound');
    }
  }

  /** One membership step per read, like a controller adding learners and promoting them (or removing members). */
  private controllerStep(): void {
    const c = this.o.cluster;
    const st = c.status!;
    if (!this.o.controllerStuck && this.rolloutStep()) return;
    const learning = (st.members ?? []).some((m) => m.isLearner);
    if (this.o.controllerStuck || ((st.observedGeneration ?? 0) >= (c.metadata.generation ?? 0) && st.size === c.spec.size && !learning)) return;
    const members: MemberStatus[] = st.members ?? [];
    const learner = members.find((m) => m.isLearner);
    const voters = members.filter((m) => !m.isLearner).length;
    st.observedGeneration = c.metadata.generation;
    if (learner) {
      learner.isLearner = false;
      st.conditions = [{ type: 'Progressing', status: 'True', reason: 'PromotedLearner', message: `promoted ${learner.name}`, lastTransitionTime: new Date().toISOString() }];
    } else if (voters < c.spec.size) {
      const name = `demo-${voters}`;
      members.push({ name, id: (voters + 1).toString(16).padStart(16, '0'), isLearner: true, healthy: true });
      st.conditions = [{ type: 'Progressing', status: 'True', reason: 'AddingLearner', message: `added ${name} as learner`, lastTransitionTime: new Date().toISOString() }];
    } else if (voters > c.spec.size) {
      members.pop();
    }
    st.members = members;
    st.size = members.filter((m) => !m.isLearner).length;
    // READY as the controller counts it: voting members etcd reports healthy (their pods Ready here).
    st.readyReplicas = members.filter((m) => !m.isLearner && m.healthy).length;
    const settled = st.size === c.spec.size && !members.some((m) => m.isLearner);
    st.phase = settled ? 'Running' : 'Scaling';
    if (settled) st.conditions = [{ type: 'Progressing', status: 'False', reason: 'Settled', message: 'size reached', lastTransitionTime: new Date().toISOString() }];
  }

  /**
   * One rollout step per read, as the controller takes them: record the upgrade, restart one member at a time
   * (followers from the highest ordinal down, the leader last), then etcd's cluster version moves to the new
   * minor and the record completes. False when no version change is open.
   */
  private rolloutStep(): boolean {
    const c = this.o.cluster;
    const st = c.status!;
    const want = c.spec.version ?? DEFAULT_ETCD_VERSION;
    const now = new Date().toISOString();
    const progressing = (message: string): Condition => ({ type: 'Progressing', status: 'True', reason: 'Upgrading', message, lastTransitionTime: now });
    const open = st.lastUpgrade && !st.lastUpgrade.completedAt ? st.lastUpgrade : undefined;
    if (this.templateVersion !== want && open?.to !== want) {
      st.lastUpgrade = { from: this.templateVersion, to: want, requestedBy: 'alice', startedAt: now };
      this.templateVersion = want;
      st.observedGeneration = c.metadata.generation;
      st.conditions = [progressing(`upgrading etcd ${st.lastUpgrade.from} -> ${want}, one member at a time`)];
      return true;
    }
    if (!open) return false;
    st.observedGeneration = c.metadata.generation;
    const members = (st.members ?? []).filter((m) => !m.isLearner);
    const ordinal = (m: MemberStatus) => Number(m.name.split('-').pop());
    const stale = members.filter((m) => m.version !== open.to)
      .sort((a, b) => Number(a.name === st.leader) - Number(b.name === st.leader) || ordinal(b) - ordinal(a));
    const what = `upgrade ${open.from} -> ${open.to}`;
    const restarted = `${members.length - stale.length} of ${members.length} members restarted`;
    if (stale.length && this.o.rolloutHeld) {
      st.conditions = [
        progressing(`${what}: waiting for the rollout to resume (${restarted})`),
        { type: 'Degraded', status: 'True', reason: this.o.rolloutHeld, message: `${what} paused (${restarted}): demo-1 is unhealthy (CrashLoopBackOff); it resumes once every member is healthy`, lastTransitionTime: now },
      ];
      return true;
    }
    if (stale.length) {
      stale[0].version = open.to;
      st.conditions = [progressing(`${what}: restarting ${stale[0].name} on etcd ${open.to} (${restarted})`)];
      return true;
    }
    if (minorOf(st.clusterVersion) !== minorOf(open.to)) {
      st.conditions = [progressing(`every member runs ${open.to}; waiting for etcd's cluster version (${st.clusterVersion}) to reach ${minorOf(open.to)}`)];
      st.clusterVersion = `${minorOf(open.to)}.0`;
      return true;
    }
    open.completedAt = now;
    st.conditions = [{ type: 'Progressing', status: 'False', reason: 'SizeReached', message: `${members.length} voting members as wanted`, lastTransitionTime: now }];
    return true;
  }
}
