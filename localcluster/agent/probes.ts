// One probe attempt (httpGet incl. HTTPS without verification, tcpSocket, exec inside the container's
// namespaces) and the loop that turns attempts into a result with the probe's thresholds and timing.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';

export interface ProbeTarget {
  podIP: string;
  ports: V1ContainerPort[];
  /** For exec probes: the container's main process (whose namespaces the command enters) and its program mapping. */
  pid?: number;
  env: Record<string, string>;
  resolve: (command: string[]) => { path: string; args: string[] } | string;
}

export type ProbeOutcome = { ok: boolean; message: string };

function portOf(port: number | string, ports: V1ContainerPort[]): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" names no container port`);
  return named.containerPort;
}

export async function probeOnce(probe: V1Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) {
      const g = probe.httpGet;
      const https = (g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.20', Accept: '*/*' };
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      const port = portOf(g.port, target.ports);
      const code = await new Promise<number>((resolve, reject) => {
        const req = (https ? httpsRequest : httpRequest)({
          host: g.host || target.podIP, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutMs,
          rejectUnauthorized: false, agent: false,
        }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end();
      });
      return code >= 200 && code < 400 ? { ok: true, message: `HTTP ${code}` } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
    }
    if (probe.tcpSocket) {
      const port = portOf(probe.tcpSocket.port, target.ports);
      await new Promise<void>((resolve, reject) => {
        const sock = connect({ host: probe.tcpSocket!.host || target.podIP, port, timeout: timeoutMs });
        sock.on('connect', () => { sock.destroy(); resolve(); });
        sock.on('timeout', () => { sock.destroy(); reject(new Error(`timeout after ${timeoutMs} ms`)); });
        sock.on('error', reject);
      });
      return { ok: true, message: 'connected' };
    }
    if (probe.exec) {
      if (!target.pid) return { ok: false, message: 'container not running' };
      const program = target.resolve(probe.exec.command ?? []);
      if (typeof program === 'string') return { ok: false, message: program };
      return await new Promise<ProbeOutcome>((resolve) => {
        const child = spawn('nsenter', ['-t', String(target.pid), '-n', '-m', '-u', '--', program.path, ...program.args],
          { env: target.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-1024); });
        child.stderr.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-1024); });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', (err) => { clearTimeout(timer); resolve({ ok: false, message: err.message }); });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve(code === 0 ? { ok: true, message: out.trim() }
            : { ok: false, message: signal ? `command timed out after ${timeoutMs} ms` : `command exited with ${code}: ${out.trim()}` });
        });
      });
    }
    return { ok: false, message: 'probe has no handler (httpGet, tcpSocket or exec)' };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/**
 * Runs a probe every periodSeconds after initialDelaySeconds; reports a flip to success after
 * successThreshold consecutive successes and to failure after failureThreshold consecutive failures.
 */
export class ProbeLoop {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean | undefined;

  constructor(private readonly probe: V1Probe, private readonly attempt: () => Promise<ProbeOutcome>,
    private readonly onResult: (ok: boolean, message: string) => void) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { this.tick().catch(() => undefined); }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const outcome = await this.attempt();
    if (this.stopped) return;
    if (outcome.ok) { this.successes++; this.failures = 0; } else { this.failures++; this.successes = 0; }
    if (outcome.ok && this.result !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
      this.result = true;
      this.onResult(true, outcome.message);
    } else if (!outcome.ok && this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
      this.result = false;
      this.onResult(false, outcome.message);
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
