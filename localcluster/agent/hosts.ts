// Pod DNS names in /etc/hosts (processes in pod netns see the same file), as cluster DNS would serve them:
// HOSTNAME.SERVICE.NS.svc and HOSTNAME.SERVICE.NS.svc.cluster.local for each address with a hostname in the
// Endpoints of a headless Service (the endpoints controller puts it there for pods whose spec.subdomain
// names the Service: ready pods, or all of them with publishNotReadyAddresses), and only while the agent
// runs the pod. The whole set of this instance's lines is written at once by hosts-set.sh (machine-wide
// lock, tagged lines, atomic replace).
import type { V1Endpoints } from '@kubernetes/client-node';
import { run } from './exec.js';
import type { Logger } from '../../core/log.js';

/** "IP NAME NAME" lines for the live pod addresses that headless Services' Endpoints name. */
export function podDnsLines(endpoints: readonly V1Endpoints[], isHeadless: (namespace: string, name: string) => boolean,
  live: ReadonlySet<string>): string[] {
  const names = new Map<string, Set<string>>();
  for (const ep of endpoints) {
    const ns = ep.metadata?.namespace, svc = ep.metadata?.name;
    if (!ns || !svc || !isHeadless(ns, svc)) continue;
    for (const subset of ep.subsets ?? []) {
      for (const addr of subset.addresses ?? []) {
        if (!addr.hostname || !live.has(addr.ip)) continue;
        const set = names.get(addr.ip) ?? new Set<string>();
        set.add(`${addr.hostname}.${svc}.${ns}.svc`).add(`${addr.hostname}.${svc}.${ns}.svc.cluster.local`);
        names.set(addr.ip, set);
      }
    }
  }
  return [...names].map(([ip, set]) => `${ip} ${[...set].sort().join(' ')}`).sort();
}

export class HostsFile {
  private lines: string[] = [];
  /** What the file holds for this instance; unknown until the first write (leftovers of an earlier run). */
  private written?: string;
  private writing: Promise<void> = Promise.resolve();
  private queued = false;

  constructor(private readonly script: string, private readonly tag: string, private readonly log: Logger) {}

  /** Makes this instance's lines exactly `lines`; resolves once the file says so. */
  replace(lines: string[]): Promise<void> {
    this.lines = lines;
    return this.flush();
  }

  /** Writes serialised and coalesced: one write covers every change made while the previous one ran. */
  private flush(): Promise<void> {
    if (this.queued) return this.writing;
    this.queued = true;
    this.writing = this.writing.then(async () => {
      this.queued = false;
      const content = this.lines.length ? `${this.lines.join('\n')}\n` : '';
      if (content === this.written) return;
      for (let attempt = 1; ; attempt++) {
        try {
          await run('bash', [this.script, this.tag], { input: content });
          this.written = content;
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
