// One container of a pod as a process: `ip netns exec POD unshare -m -u sh -c '<bind mounts>; exec PROGRAM'`,
// in its own session (the whole process group is signalled), output appended to the container's log file.
// Restarts follow restartPolicy with a back-off of 1 s doubling to 10 s; probes decide readiness and liveness.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1ContainerState, V1Pod } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { containerEnv, RefReader } from './env.js';
import { expandVars } from './expand.js';
import { procStartTime } from './exec.js';
import { PodConfigError } from './fields.js';
import { resolveProgram, type HostFs } from './images.js';
import type { Clients } from './kube.js';
import { ProbeLoop, probeOnce, type ProbeOutcome } from './probes.js';
import { type Mount, PodVolumes, VolumeNotReady } from './volumes.js';
import type { Logger } from '../../core/log.js';

export const BACKOFF_START_MS = 1000;
export const BACKOFF_CAP_MS = 10000;
/** A container that ran this long before exiting starts its back-off afresh. */
const BACKOFF_RESET_MS = 30000;

export const hostFs: HostFs = {
  isExecutable(path: string): boolean {
    try { accessSync(path, constants.X_OK); return true; } catch { return false; }
  },
};

/** Single-quotes a word for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sh script run inside the new mount and UTS namespaces before exec'ing the program. */
export function launchScript(mounts: Mount[], hostname: string, workingDir: string | undefined): string {
  const lines = ['set -e', `hostname ${shq(hostname)}`];
  for (const m of mounts) {
    const t = shq(m.target), s = shq(m.source);
    // A file (subPath of a single key) is mounted on a file, a directory on a directory.
    lines.push(`if [ -d ${s} ]; then mkdir -p ${t}; else mkdir -p "$(dirname ${t})"; [ -e ${t} ] || : > ${t}; fi`);
    lines.push(`mount --bind ${s} ${t}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  if (workingDir) lines.push(`mkdir -p ${shq(workingDir)}`, `cd ${shq(workingDir)}`);
  lines.push('exec "$@"');
  return lines.join('\n');
}

export function backoffMs(consecutiveCrashes: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** Math.max(0, consecutiveCrashes - 1));
}

export interface ContainerDeps {
  cfg: AgentConfig;
  clients: Clients;
  log: Logger;
  podDir: string;
  netns: string;
  podIP: string;
  volumes: PodVolumes;
  latestPod: () => V1Pod;
  onChange: () => void;
}

export type Role = 'init' | 'main';

export class ContainerRunner {
  state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: V1ContainerState = {};
  restartCount = 0;
  ready = false;
  started = false;
  private child?: ChildProcess;
  private pid?: number;
  private env: Record<string, string> = {};
  private probes: ProbeLoop[] = [];
  private retryTimer?: NodeJS.Timeout;
  private crashes = 0;
  /** The next start is a restart (counted in restartCount once it happens, as the kubelet counts). */
  private restarting = false;
  private stopping = false;
  private startedAtMs = 0;
  private exitWaiters: (() => void)[] = [];
  /** Init containers: resolves true when it succeeded, false when it failed for good (restartPolicy Never). */
  private completion?: (ok: boolean) => void;

  constructor(readonly spec: V1Container, readonly role: Role, private readonly deps: ContainerDeps) {}

  get name(): string { return this.spec.name; }
  get running(): boolean { return !!this.child; }
  private get log(): Logger { return this.deps.log.child({ container: this.name }); }
  private get logFile(): string {
    const m = this.deps.latestPod().metadata!;
    return join(this.deps.cfg.stateDir, 'logs', `${m.namespace}_${m.name}_${this.name}.log`);
  }
  private get pidFile(): string { return join(this.deps.podDir, `${this.name}.pid`); }
  private get restartPolicy(): string { return this.deps.latestPod().spec?.restartPolicy ?? 'Always'; }

  /** Init containers: run until success (restarting on failure unless restartPolicy is Never). */
  runToCompletion(): Promise<boolean> {
    return new Promise((resolve) => { this.completion = resolve; this.start(); });
  }

  start(): void {
    if (this.stopping) return;
    this.launch().catch((err: unknown) => this.failStart('RunContainerError', (err as Error).message, 5000));
  }

  private failStart(reason: string, message: string, retryMs: number): void {
    if (this.state.waiting?.reason !== reason || this.state.waiting?.message !== message) {
      this.log.warn({ reason, message }, 'container not started');
    }
    this.state = { waiting: { reason, message } };
    this.deps.onChange();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), retryMs);
    this.retryTimer.unref();
  }

  private async launch(): Promise<void> {
    const pod = this.deps.latestPod();
    const spec = this.spec;
    const program = resolveProgram(spec.image ?? '', spec.command, spec.args, this.deps.cfg.root, hostFs);
    if (!program.ok) return this.failStart(program.reason, program.message, 10000);
    let env: Map<string, string>;
    let mounts: Mount[];
    try {
      await this.deps.volumes.refresh();
      env = await containerEnv(pod, spec, this.deps.cfg, this.deps.podIP, new RefReader(this.deps.clients, pod.metadata!.namespace!));
      mounts = this.deps.volumes.mountsFor(spec);
    } catch (err) {
      if (err instanceof PodConfigError || err instanceof VolumeNotReady) return this.failStart('CreateContainerConfigError', err.message, 3000);
      throw err;
    }
    if (this.stopping) return;
    const args = program.args.map((a) => expandVars(a, env));
    const path = expandVars(program.path, env);
    this.env = Object.fromEntries(env);
    mkdirSync(join(this.deps.cfg.stateDir, 'logs'), { recursive: true });
    const fd = openSync(this.logFile, 'a');
    writeSync(fd, `--- ${new Date().toISOString()} localcluster: starting ${this.name} (restart ${this.restartCount + (this.restarting ? 1 : 0)}): ${[path, ...args].join(' ')}\n`);
    let child: ChildProcess;
    try {
      const script = launchScript(mounts, pod.spec?.hostname ?? pod.metadata!.name!, spec.workingDir);
      child = spawn('ip', ['netns', 'exec', this.deps.netns, 'unshare', '--mount', '--uts', '--propagation', 'private',
        '/bin/sh', '-c', script, this.name, path, ...args], { detached: true, stdio: ['ignore', fd, fd], env: this.env, cwd: '/' });
    } finally {
      closeSync(fd);
    }
    if (!child.pid) {
      await new Promise((r) => child.once('error', r));
      return this.failStart('RunContainerError', `could not start ${path}`, 5000);
    }
    this.child = child;
    this.pid = child.pid;
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    if (this.restarting) { this.restarting = false; this.restartCount++; }
    try {
      // Recorded so that cluster-down can stop it even if this agent dies first.
      writeFileSync(this.pidFile, `${child.pid} ${procStartTime(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))}\n`);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'could not record the container pid');
    }
    this.startedAtMs = Date.now();
    this.state = { running: { startedAt: new Date() } };
    this.started = true;
    this.ready = !spec.readinessProbe;
    this.log.info({ pid: child.pid, program: path }, 'container started');
    this.startProbes();
    this.deps.onChange();
  }

  private startProbes(): void {
    const spec = this.spec;
    if (this.role !== 'main') return;
    const attempt = (probe: NonNullable<V1Container['readinessProbe']>) => (): Promise<ProbeOutcome> => probeOnce(probe, {
      podIP: this.deps.podIP, ports: spec.ports ?? [], pid: this.pid, env: this.env,
      resolve: (command) => {
        const r = resolveProgram(spec.image ?? '', command, undefined, this.deps.cfg.root, hostFs);
        return r.ok ? { path: r.path, args: r.args } : r.message;
      },
    });
    const readiness = spec.readinessProbe ? new ProbeLoop(spec.readinessProbe, attempt(spec.readinessProbe), (ok) => {
      this.ready = ok && this.running;
      this.deps.onChange();
    }) : undefined;
    const liveness = spec.livenessProbe ? new ProbeLoop(spec.livenessProbe, attempt(spec.livenessProbe), (ok, message) => {
      if (ok || !this.child) return;
      this.log.warn({ message }, 'liveness probe failed; restarting the container');
      this.signal('SIGTERM');
      this.killAfter(this.child, (this.deps.latestPod().spec?.terminationGracePeriodSeconds ?? 30) * 1000);
    }) : undefined;
    const afterStartup = (): void => {
      for (const p of [readiness, liveness]) if (p) { this.probes.push(p); p.start(); }
    };
    if (spec.startupProbe) {
      this.started = false;
      const startup = new ProbeLoop(spec.startupProbe, attempt(spec.startupProbe), (ok, message) => {
        startup.stop();
        if (ok) { this.started = true; this.deps.onChange(); afterStartup(); return; }
        this.log.warn({ message }, 'startup probe failed; restarting the container');
        this.signal('SIGKILL');
      });
      this.probes.push(startup);
      startup.start();
    } else {
      afterStartup();
    }
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private signal(sig: NodeJS.Signals): void {
    if (!this.pid) return;
    try { process.kill(-this.pid, sig); } catch { /* group already gone */ }
  }

  private killAfter(child: ChildProcess, ms: number): void {
    const t = setTimeout(() => { if (this.child === child) this.signal('SIGKILL'); }, ms);
    t.unref();
    child.once('exit', () => clearTimeout(t));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    // Whatever the main process left in its group goes too, as a container's cgroup would.
    this.signal('SIGKILL');
    this.child = undefined;
    this.pid = undefined;
    rmSync(this.pidFile, { force: true });
    this.stopProbes();
    const signum = signal ? osConstants.signals[signal] : undefined;
    // As container runtimes report it: 128 + signal number for a killed process.
    const exitCode = code ?? 128 + (signum ?? 0);
    const startedAt = this.state.running?.startedAt;
    const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: new Date(),
      ...(signum ? { signal: signum } : {}) };
    this.ready = false;
    this.log.info({ exitCode, signal }, 'container exited');
    for (const w of this.exitWaiters.splice(0)) w();
    if (this.stopping) {
      this.state = { terminated };
      this.deps.onChange();
      return;
    }
    const policy = this.restartPolicy;
    const restart = this.role === 'init'
      ? exitCode !== 0 && policy !== 'Never'
      : policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      this.state = { terminated };
      this.deps.onChange();
      this.completion?.(exitCode === 0);
      return;
    }
    this.crashes = Date.now() - this.startedAtMs > BACKOFF_RESET_MS ? 1 : this.crashes + 1;
    const delay = backoffMs(this.crashes);
    this.lastState = { terminated };
    this.restarting = true;
    const pod = this.deps.latestPod().metadata!;
    this.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name} pod=${pod.name}_${pod.namespace}(${pod.uid})` } };
    this.deps.onChange();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), delay);
    this.retryTimer.unref();
  }

  /** Stops for good: SIGTERM to the process group, SIGKILL after graceMs; resolves once it exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    this.stopProbes();
    this.completion?.(false); // an init container interrupted by the pod's deletion did not succeed
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => this.exitWaiters.push(r));
    this.signal(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    this.killAfter(child, graceMs);
    await exited;
  }
}
