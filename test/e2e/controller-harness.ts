// Runs bin/etcd-controller as a host process against a test cluster and reads the truth back
// (etcdctl on the members' DNS names, kubectl for objects and printer columns).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EtcdCluster } from '../../core/api.js';
import { startHostController, type HostController } from '../../localcluster/host-controller.js';
import type { TestCluster } from '../helpers/cluster.js';

const run = promisify(execFile);

export type { HostController as ControllerProcess } from '../../localcluster/host-controller.js';

export function startController(kubeconfig: string, namespace: string, env: Record<string, string> = {}): HostController {
  return startHostController(kubeconfig, namespace, {
    args: ['--metrics-addr', '127.0.0.1:0', '--leader-election-namespace', namespace, '--resync-seconds', '5'],
    env,
    keepLines: 2000,
  });
}

/** The controllers a test file starts, so that every one is stopped after it, pass or fail. */
export class Controllers {
  private readonly started: HostController[] = [];

  start(kubeconfig: string, namespace: string, env: Record<string, string> = {}): HostController {
    const c = startController(kubeconfig, namespace, env);
    this.started.push(c);
    return c;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((c) => c.stop()));
  }
}

export type Kubectl = (args: string[], opts?: { input?: string }) => Promise<string>;

/** kubectl on the test cluster returning stdout, throwing with stderr on failure. */
export function kubectlOf(tc: TestCluster): Kubectl {
  return async (args, opts) => {
    const r = await tc.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  };
}

export async function getCluster(kubectl: Kubectl, ns: string, name: string): Promise<EtcdCluster> {
  return JSON.parse(await kubectl(['-n', ns, 'get', 'etcdcluster', name, '-o', 'json'])) as EtcdCluster;
}

export interface EtcdctlMember {
  id: string;
  status: string;
  name: string;
  peerURL: string;
  clientURL: string;
  isLearner: boolean;
}

/** `etcdctl member list` (simple output: hex IDs, no float64 rounding) through the first endpoint that answers. */
export async function etcdctlMembers(endpoints: string[]): Promise<EtcdctlMember[]> {
  let last: unknown;
  for (const e of endpoints) {
    try {
      const { stdout } = await run('etcdctl', ['--endpoints', e, '--command-timeout=3s', 'member', 'list'], { env: { ...process.env, ETCDCTL_API: '3' } });
      return stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [id, status, name, peerURL, clientURL, learner] = line.split(', ');
          // etcdctl prints IDs without leading zeros; the API (and status) uses 16 hex digits.
          return { id: id.padStart(16, '0'), status, name, peerURL, clientURL, isLearner: learner === 'true' };
        });
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`etcdctl member list failed on ${endpoints.join(', ')}: ${String(last)}`);
}

export async function etcdctl(endpoint: string, args: string[]): Promise<string> {
  const { stdout } = await run('etcdctl', ['--endpoints', endpoint, '--command-timeout=5s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
  return stdout;
}

/** The leader's ID (16 hex digits) per `etcdctl endpoint status` over the given comma-separated endpoints. */
export async function etcdctlLeaderId(endpoints: string, cluster = false): Promise<string | undefined> {
  const out = await etcdctl(endpoints, ['endpoint', 'status', ...(cluster ? ['--cluster'] : [])]);
  // endpoint, ID, version, DB size, is leader, is learner, raft term, raft index, applied index, errors
  const leader = out.split('\n').map((l) => l.split(', ')).find((cols) => cols[4] === 'true');
  return leader?.[1].padStart(16, '0');
}
