// etcd ends every snapshot stream with the sha256 of the bytes before it (32 bytes), and `snapshot restore`
// checks it. Checked here as the bytes arrive, so a file that would not restore is never kept; the file's own
// sha256 (what the record holds) comes from the same pass: the body's hash, continued over the tail.
import { createHash, type Hash } from 'node:crypto';

const SUM_BYTES = 32;

export class SnapshotDigest {
  private readonly body: Hash = createHash('sha256');
  /** The last 32 bytes seen: etcd's checksum, once the stream ends. */
  private tail = Buffer.alloc(0);
  sizeBytes = 0;

  update(chunk: Buffer): void {
    this.sizeBytes += chunk.length;
    const all = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const cut = Math.max(0, all.length - SUM_BYTES);
    this.body.update(all.subarray(0, cut));
    this.tail = Buffer.from(all.subarray(cut));
  }

  /** The file's sha256 (hex), and whether it ends with etcd's checksum of the bytes before. */
  finish(): { sha256: string; etcdChecksumOk: boolean } {
    const etcdChecksumOk = this.tail.length === SUM_BYTES && this.body.copy().digest().equals(this.tail);
    return { sha256: this.body.update(this.tail).digest('hex'), etcdChecksumOk };
  }
}
