// Everything the agent does for one pod bound to its node: network, DNS line, volumes, init containers,
// containers, status; and, when the pod is deleted, graceful termination and the final delete.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { ContainerRunner } from './container.js';
import type { PodDns } from './dns.js';
import type { AddressPool } from './ipam.js';
import { type Clients, describeError, isNotFound, mergePatch, statusCode } from './kube.js';
import { createPodNetwork, deletePodNetwork, type PodNetwork } from './network.js';
import { podStatus, type ContainerView } from './pod-status.js';
import { PodVolumes } from './volumes.js';
import type { Logger } from '../../core/log.js';

export interface WorkerDeps {
  cfg: AgentConfig;
  clients: Clients;
  pool: AddressPool;
  dns: PodDns;
  log: Logger;
  onGone: (uid: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export class PodWorker {
  private pod: V1Pod;
  private net?: PodNetwork;
  private reservedIP?: string;
  private volumes?: PodVolumes;
  private init: ContainerRunner[] = [];
  private main: ContainerRunner[] = [];
  private initialized = false;
  private setupMessage = '';
  private startTime?: Date;
  private terminating?: Promise<void>;
  private statusTimer?: NodeJS.Timeout;
  private statusInFlight = false;
  private statusAgain = false;
  private lastSent = '';
  private conditions: V1PodCondition[] = [];
  private readonly log: Logger;
  readonly uid: string;

  constructor(pod: V1Pod, private readonly deps: WorkerDeps) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.log = deps.log.child({ pod: `${pod.metadata!.namespace}/${pod.metadata!.name}` });
    this.conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    // An address the pod already had (agent restarted) is kept; claimed now, before any new pod allocates.
    const previous = pod.status?.podIP;
    if (previous && deps.pool.claim(previous)) this.reservedIP = previous;
  }

  private get podDir(): string { return join(this.deps.cfg.stateDir, 'pods', this.uid); }
  private get stopped(): boolean { return this.terminating !== undefined; }
  get graceMs(): number { return (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000; }

  /** A newer version of the pod from the watch. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.stopped) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace * 1000, true);
    }
  }

  /** Sets the pod up and starts its containers; returns when the containers are started (or the pod stops). */
  async run(): Promise<void> {
    this.startTime = this.pod.status?.startTime ? new Date(this.pod.status.startTime) : new Date();
    mkdirSync(this.podDir, { recursive: true });
    this.main = (this.pod.spec?.containers ?? []).map((c) => this.runner(c, 'main'));
    this.init = (this.pod.spec?.initContainers ?? []).map((c) => this.runner(c, 'init'));
    this.scheduleStatus();
    for (let delay = 1000; !this.stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.setUp();
        this.setupMessage = '';
        break;
      } catch (err) {
        this.setupMessage = (err as Error).message;
        this.log.warn({ err: this.setupMessage }, 'pod not set up yet; retrying');
        this.scheduleStatus();
        await sleep(delay);
      }
    }
    for (const c of this.init) {
      if (this.stopped) return;
      const ok = await c.runToCompletion();
      this.scheduleStatus();
      if (!ok) return; // failed for good (restartPolicy Never): the pod is Failed
    }
    if (this.stopped) return;
    this.initialized = true;
    for (const c of this.main) c.start();
    this.scheduleStatus();
  }

  private runner(spec: V1Container, role: 'init' | 'main'): ContainerRunner {
    const self = this;
    return new ContainerRunner(spec, role, {
      cfg: this.deps.cfg, clients: this.deps.clients, log: this.log, podDir: this.podDir,
      get netns() { return self.net!.netns; },
      get podIP() { return self.net!.ip; },
      get volumes() { return self.volumes!; },
      latestPod: () => this.pod,
      onChange: () => this.scheduleStatus(),
    });
  }

  private async setUp(): Promise<void> {
    if (!this.net) {
      const ip = this.reservedIP ?? this.deps.pool.allocate();
      this.reservedIP = undefined;
      try {
        this.net = await createPodNetwork(this.deps.cfg, this.uid, ip, this.deps.pool.prefix);
      } catch (err) {
        this.deps.pool.release(ip);
        throw err;
      }
      this.log.info({ ip, netns: this.net.netns }, 'pod network ready');
      this.scheduleStatus();
    }
    await this.deps.dns.addPod(this.net.ip);
    this.volumes ??= new PodVolumes(this.pod, this.deps.cfg, this.deps.clients, this.podDir, () => this.net!.ip, this.log);
    await this.volumes.prepare();
  }

  /**
   * Stops the containers (SIGTERM, SIGKILL after graceMs), removes network, DNS line and pod volumes, and,
   * when the pod was deleted through the API, deletes it for good (grace period 0) as the kubelet does.
   */
  terminate(graceMs: number, deleteFromApi: boolean): Promise<void> {
    this.terminating ??= (async () => {
      this.log.info({ graceMs }, 'stopping pod');
      await Promise.all([...this.init, ...this.main].map((c) => c.stop(graceMs)));
      await this.tearDown();
      if (deleteFromApi) await this.finalDelete();
      clearTimeout(this.statusTimer);
      this.deps.onGone(this.uid);
    })();
    return this.terminating;
  }

  private async tearDown(): Promise<void> {
    if (this.reservedIP) this.deps.pool.release(this.reservedIP);
    this.volumes?.remove();
    if (this.net) {
      await this.deps.dns.removePod(this.net.ip);
      await deletePodNetwork(this.net);
      this.deps.pool.release(this.net.ip);
    }
    rmSync(this.podDir, { recursive: true, force: true });
  }

  private async finalDelete(): Promise<void> {
    const { name, namespace } = this.pod.metadata!;
    for (let attempt = 1; attempt <= 10; attempt++) {
      try {
        await this.deps.clients.core.deleteNamespacedPod({ name: name!, namespace: namespace!, gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } });
        this.log.info('pod deleted');
        return;
      } catch (err) {
        // Gone already, or a new pod took the name (uid precondition): nothing left to delete.
        if (isNotFound(err) || statusCode(err) === 409) return;
        this.log.warn({ err: describeError(err) }, 'final delete failed; retrying');
        await sleep(500 * attempt);
      }
    }
  }

  private view(): ContainerView[][] {
    const setupWait = this.setupMessage ? { waiting: { reason: 'ContainerCreating', message: this.setupMessage } } : undefined;
    const asView = (c: ContainerRunner): ContainerView => ({
      name: c.name, image: c.spec.image ?? '', lastState: c.lastState, ready: c.ready, started: c.started,
      restartCount: c.restartCount, state: setupWait && c.state.waiting?.reason === 'ContainerCreating' ? setupWait : c.state,
    });
    return [this.init.map(asView), this.main.map(asView)];
  }

  /** Coalesces status writes: at most one in flight, the latest state wins. */
  scheduleStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => { this.statusTimer = undefined; void this.writeStatus(); }, 100);
  }

  private async writeStatus(): Promise<void> {
    if (this.statusInFlight) { this.statusAgain = true; return; }
    this.statusInFlight = true;
    try {
      const [init, main] = this.view();
      const status = podStatus({
        restartPolicy: this.pod.spec?.restartPolicy ?? 'Always', podIP: this.net?.ip, hostIP: this.deps.cfg.gateway,
        startTime: this.startTime, init, main, initialized: this.initialized || init.length === 0,
      }, this.conditions, new Date());
      const body = JSON.stringify(status);
      if (body === this.lastSent) return;
      const { name, namespace } = this.pod.metadata!;
      await this.deps.clients.core.patchNamespacedPodStatus({ name: name!, namespace: namespace!, body: { status } }, mergePatch);
      this.lastSent = body;
      this.conditions = status.conditions ?? [];
    } catch (err) {
      if (isNotFound(err)) return;
      this.log.warn({ err: describeError(err) }, 'status update failed; retrying');
      setTimeout(() => this.scheduleStatus(), 1000).unref();
    } finally {
      this.statusInFlight = false;
      if (this.statusAgain) { this.statusAgain = false; this.scheduleStatus(); }
    }
  }
}
