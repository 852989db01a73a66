// The node agent: scheduler and kubelet for the local cluster's one node. Watches pods (informer), binds
// pending ones, runs a PodWorker per pod on the node, provisions PVC directories, keeps the Node fresh.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { procStartTime, run } from './exec.js';
import { PodDns } from './dns.js';
import { HostsFile } from './hosts.js';
import { AddressPool } from './ipam.js';
import { type Clients, startInformer, type WatchedCache } from './kube.js';
import { leftoverNetns } from './network.js';
import { NodeHeartbeat, nodeLabels } from './node.js';
import { PodWorker } from './pod-worker.js';
import { Scheduler } from './scheduler.js';
import { VolumeBinder } from './volume-binder.js';
import type { Logger } from '../../core/log.js';

/** Longest grace given to pods when the agent itself stops (cluster-down should not take minutes). */
const SHUTDOWN_GRACE_MS = 10000;

export class Agent {
  private readonly workers = new Map<string, PodWorker>();
  private readonly pool: AddressPool;
  private readonly hosts: HostsFile;
  private readonly dns: PodDns;
  private readonly node: NodeHeartbeat;
  private readonly scheduler: Scheduler;
  private readonly binder: VolumeBinder;
  private pods?: WatchedCache<V1Pod>;
  private stopping = false;

  constructor(private readonly cfg: AgentConfig, private readonly clients: Clients, private readonly log: Logger) {
    this.pool = new AddressPool(cfg.subnet, cfg.serviceCidr);
    this.hosts = new HostsFile(join(cfg.root, 'localcluster/scripts/hosts-set.sh'), cfg.hostsTag, log);
    this.dns = new PodDns(clients, this.hosts, log);
    this.node = new NodeHeartbeat(cfg, clients, log);
    this.scheduler = new Scheduler(cfg.nodeName, nodeLabels(cfg), clients, log);
    this.binder = new VolumeBinder(cfg, clients, log);
  }

  async start(): Promise<void> {
    await this.removeLeftovers();
    await this.node.start();
    this.binder.start();
    this.dns.start();
    const { kc, core } = this.clients;
    this.pods = startInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces(), this.log);
    this.pods.on('add', (p) => this.guard(p, () => this.onPod(p)));
    this.pods.on('update', (p) => this.guard(p, () => this.onPod(p)));
    this.pods.on('delete', (p) => this.guard(p, () => this.onPodDeleted(p)));
    this.log.info({ node: this.cfg.nodeName, subnet: this.cfg.subnet }, 'agent running');
  }

  /** One bad pod never stops the agent: the error is logged and the others go on. */
  private guard(pod: V1Pod, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: String(err) }, 'handling pod failed');
    }
  }

  private onPod(pod: V1Pod): void {
    if (this.stopping) return;
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (!pod.spec?.nodeName) { this.scheduler.consider(pod); return; }
    if (pod.spec.nodeName !== this.cfg.nodeName) return;
    const worker = this.workers.get(uid);
    if (worker) { worker.update(pod); return; }
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp) {
      // Nothing runs for it here (finished, or from before an agent restart): finish the deletion.
      void this.clients.core.deleteNamespacedPod({ name: pod.metadata.name!, namespace: pod.metadata.namespace!,
        gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } }).catch(() => undefined);
      return;
    }
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const w = new PodWorker(pod, { cfg: this.cfg, clients: this.clients, pool: this.pool, dns: this.dns, log: this.log,
      onGone: (id) => this.workers.delete(id) });
    this.workers.set(uid, w);
    // After the current batch of watch events: every existing pod has claimed its address by then.
    setImmediate(() => { w.run().catch((err) => this.log.error({ err: String(err) }, 'pod worker failed')); });
  }

  private onPodDeleted(pod: V1Pod): void {
    const uid = pod.metadata!.uid!;
    this.scheduler.forget(uid);
    void this.workers.get(uid)?.terminate(0, false);
  }

  /** Processes, netns and hosts lines an earlier run of this agent left (it was killed without cleaning up). */
  private async removeLeftovers(): Promise<void> {
    const podsDir = join(this.cfg.stateDir, 'pods');
    let killed = 0;
    for (const dir of safeReaddir(podsDir)) {
      for (const f of safeReaddir(join(podsDir, dir)).filter((n) => n.endsWith('.pid'))) {
        const [pid, start] = readFileSync(join(podsDir, dir, f), 'utf8').trim().split(' ');
        try {
          if (procStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8')) === start) { process.kill(-Number(pid), 'SIGKILL'); killed++; }
        } catch { /* gone */ }
      }
      rmSync(join(podsDir, dir), { recursive: true, force: true });
    }
    const netns = leftoverNetns(this.cfg);
    // Deleting the netns takes its veth pair with it.
    for (const ns of netns) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await this.hosts.replace([]);
    if (killed || netns.length) this.log.info({ killed, netns: netns.length }, 'removed leftovers of an earlier agent run');
  }

  /** SIGTERM: stop every pod's processes, remove their network and hosts lines, mark the node NotReady. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.pods?.stop();
    await this.binder.stop();
    await Promise.all([...this.workers.values()].map((w) => w.terminate(Math.min(w.graceMs, SHUTDOWN_GRACE_MS), false)));
    await this.dns.stop();
    await this.node.stop();
  }
}

function safeReaddir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}
