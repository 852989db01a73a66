// etcd ends every snapshot stream with the sha256 of the bytes before it (32 bytes), and `snapshot restore`
// checks it. Checked here as the bytes arrive, so a file that would not restore is never kept.
import { createHash, type Hash } from 'node:crypto';

const SUM_BYTES = 32;

export class EtcdChecksum {
  private readonly body: Hash = createHash('sha256');
  /** The last 32 bytes seen: the checksum, once the stream ends. */
  private tail = Buffer.alloc(0);

  update(chunk: Buffer): void {
    const all = Buffer.concat([this.tail, chunk]);
    const cut = Math.max(0, all.length - SUM_BYTES);
    this.body.update(all.subarray(0, cut));
    this.tail = Buffer.from(all.subarray(cut));
  }

  matches(): boolean {
    return this.tail.length === SUM_BYTES && this.body.copy().digest().equals(this.tail);
  }
}
