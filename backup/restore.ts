// The restore Job's two steps around `etcdutl snapshot restore` (etcd's own tool, in the etcd image):
// verify the snapshot against the sha256 recorded when it was taken, and refuse a volume that holds member data;
// then move the restored member dir into place. Both are safe to run again.
import { createReadStream, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SnapshotRecord } from '../core/api.js';
import { recordFileName } from '../core/snapshot-files.js';
import { SnapshotDigest } from './checksum.js';

export interface RestorePaths {
  /** The backups volume (read-only) and the snapshot's file name in it. */
  source: string;
  snapshot: string;
  /** Member 0's data volume (etcd's data dir) and where etcdutl restores into, on the same volume. */
  data: string;
  staging: string;
}

function record(p: RestorePaths): SnapshotRecord {
  const path = join(p.source, recordFileName(p.snapshot));
  if (!existsSync(join(p.source, p.snapshot))) throw new Error(`no snapshot ${p.snapshot} in the backups volume`);
  if (!existsSync(path)) throw new Error(`no record ${recordFileName(p.snapshot)} beside ${p.snapshot}: its sha256 is unknown, so it is not used`);
  return JSON.parse(readFileSync(path, 'utf8')) as SnapshotRecord;
}

async function digest(path: string): Promise<{ sha256: string; etcdChecksumOk: boolean; sizeBytes: number }> {
  const d = new SnapshotDigest();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) d.update(chunk as Buffer);
  return { ...d.finish(), sizeBytes: d.sizeBytes };
}

/** Refuses a corrupt snapshot or a volume with member data; clears what an interrupted run left in staging. */
export async function verifyForRestore(p: RestorePaths): Promise<SnapshotRecord> {
  const want = record(p);
  if (existsSync(join(p.data, 'member'))) {
    throw new Error(`the data volume of member 0 already holds member data (${join(p.data, 'member')}); a restore never overwrites it: delete that PVC, or restore into a new EtcdCluster name`);
  }
  const got = await digest(join(p.source, p.snapshot));
  if (got.sha256 !== want.sha256) {
    throw new Error(`sha256 mismatch for ${p.snapshot}: recorded ${want.sha256} (${want.sizeBytes} bytes) when taken, the file has ${got.sha256} (${got.sizeBytes} bytes): the snapshot is corrupt and is not used`);
  }
  if (!got.etcdChecksumOk) throw new Error(`${p.snapshot} does not end with etcd's checksum of its bytes: not a whole etcd snapshot`);
  rmSync(p.staging, { recursive: true, force: true });
  return want;
}

/** Moves the restored member dir into the data dir (a rename on one volume); done already is done. */
export function finishRestore(p: RestorePaths): SnapshotRecord {
  const want = record(p);
  const restored = join(p.staging, 'member');
  if (existsSync(restored)) {
    if (existsSync(join(p.data, 'member'))) throw new Error(`both ${restored} and ${join(p.data, 'member')} exist: refusing to choose`);
    renameSync(restored, join(p.data, 'member'));
  } else if (!existsSync(join(p.data, 'member'))) {
    throw new Error(`etcdutl left no member dir in ${p.staging}`);
  }
  rmSync(p.staging, { recursive: true, force: true });
  return want;
}
