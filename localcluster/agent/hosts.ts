// Pod DNS names in /etc/hosts (processes in pod netns see the same file): POD.SUBDOMAIN.NS.svc and
// POD.SUBDOMAIN.NS.svc.cluster.local for pods with spec.hostname and spec.subdomain. The whole set of this
// instance's lines is written at once by hosts-set.sh (machine-wide lock, tagged lines, atomic replace).
import type { V1Pod } from '@kubernetes/client-node';
import { run } from './exec.js';
import type { Logger } from '../../core/log.js';

export function hostNames(pod: V1Pod): string[] {
  const host = pod.spec?.hostname, sub = pod.spec?.subdomain, ns = pod.metadata?.namespace;
  if (!host || !sub || !ns) return [];
  return [`${host}.${sub}.${ns}.svc`, `${host}.${sub}.${ns}.svc.cluster.local`];
}

export class HostsFile {
  private readonly lines = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly script: string, private readonly tag: string, private readonly log: Logger) {}

  set(uid: string, ip: string, names: string[]): Promise<void> {
    if (!names.length) return this.remove(uid);
    const line = `${ip} ${names.join(' ')}`;
    if (this.lines.get(uid) === line) return this.writing;
    this.lines.set(uid, line);
    return this.flush();
  }

  remove(uid: string): Promise<void> {
    if (!this.lines.delete(uid)) return this.writing;
    return this.flush();
  }

  clear(): Promise<void> {
    this.lines.clear();
    return this.flush();
  }

  /** Writes serialised and coalesced: one write covers every change made while the previous one ran. */
  private flush(): Promise<void> {
    if (this.dirty) return this.writing;
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const content = [...this.lines.values()].sort().join('\n');
      for (let attempt = 1; ; attempt++) {
        try {
          await run('bash', [this.script, this.tag], { input: content ? `${content}\n` : '' });
          return;
        } catch (err) {
          if (attempt >= 5) { this.log.error({ err: String(err) }, 'updating /etc/hosts failed'); return; }
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    });
    return this.writing;
  }
}
