// This instance's lines in the host's /etc/hosts ("IP NAME..."), kept exactly as given: the whole set is
// written at once by hosts-set.sh (machine-wide lock, tagged lines, atomic replace), serialised and coalesced.
import { run } from './exec.js';
import type { Logger } from '../../core/log.js';

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
