// The Node object: registered at start, its Ready condition refreshed every 10 s (there is no node lifecycle
// controller in the local cluster, but `kubectl get nodes` and users read the heartbeat).
import { cpus, totalmem, release, arch } from 'node:os';
import type { V1Node, V1NodeCondition } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { type Clients, describeError, isNotFound, mergePatch } from './kube.js';
import type { Logger } from '../../core/log.js';

export const KUBELET_VERSION = 'v1.20.2-localcluster';
const HEARTBEAT_MS = 10000;

export function nodeLabels(cfg: AgentConfig): Record<string, string> {
  return {
    'kubernetes.io/hostname': cfg.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
    'node.kubernetes.io/instance-type': 'localcluster',
  };
}

function conditions(ready: boolean, since: string): V1NodeCondition[] {
  const now = new Date();
  const ok = (type: string, reason: string, message: string): V1NodeCondition =>
    ({ type, status: 'False', reason, message, lastHeartbeatTime: now, lastTransitionTime: new Date(since) });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory', 'local node agent'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure', 'local node agent'),
    ok('PIDPressure', 'KubeletHasSufficientPID', 'local node agent'),
    {
      type: 'Ready', status: ready ? 'True' : 'False', lastHeartbeatTime: now, lastTransitionTime: new Date(since),
      reason: ready ? 'KubeletReady' : 'KubeletNotReady',
      message: ready ? 'local node agent is posting ready status' : 'local node agent stopped',
    },
  ];
}

export class NodeHeartbeat {
  private timer?: NodeJS.Timeout;
  private readonly since = new Date().toISOString();

  constructor(private readonly cfg: AgentConfig, private readonly clients: Clients, private readonly log: Logger) {}

  private statusBody(ready: boolean): V1Node['status'] {
    const capacity = {
      cpu: String(cpus().length),
      memory: `${Math.floor(totalmem() / 1024)}Ki`,
      pods: '110',
      'ephemeral-storage': '100Gi',
    };
    return {
      capacity, allocatable: capacity,
      conditions: conditions(ready, this.since),
      addresses: [{ type: 'InternalIP', address: this.cfg.gateway }, { type: 'Hostname', address: this.cfg.nodeName }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: release(), osImage: 'Debian GNU/Linux (host)',
        containerRuntimeVersion: 'localcluster://0.1.0', kubeletVersion: KUBELET_VERSION, kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux', architecture: nodeLabels(this.cfg)['kubernetes.io/arch'],
      },
    };
  }

  /** Creates the Node when missing, then keeps its status fresh. Retries until the API answers. */
  async start(): Promise<void> {
    for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.register();
        break;
      } catch (err) {
        this.log.warn({ err: describeError(err) }, 'registering the node failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    this.timer = setInterval(() => { this.beat(true).catch(() => undefined); }, HEARTBEAT_MS);
  }

  private async register(): Promise<void> {
    const { core } = this.clients;
    try {
      await core.readNode({ name: this.cfg.nodeName });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await core.createNode({ body: { metadata: { name: this.cfg.nodeName, labels: nodeLabels(this.cfg) }, spec: {} } });
      this.log.info({ node: this.cfg.nodeName }, 'node registered');
    }
    await this.beat(true);
  }

  async beat(ready: boolean): Promise<void> {
    try {
      await this.clients.core.patchNodeStatus({ name: this.cfg.nodeName, body: { status: this.statusBody(ready) } }, mergePatch);
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'node heartbeat failed');
      throw err;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beat(false).catch(() => undefined);
  }
}
