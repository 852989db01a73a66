// Streams one member's snapshot (etcd's Maintenance.Snapshot) into the backups volume: a partial file first,
// renamed once whole, with its sha256 and etcd's own checksum checked as the bytes arrive, and a record beside it.
// The member is chosen when the stream starts, not when the controller made the Job (seconds earlier, and
// leadership moves): the first of those offered that answers and is a voting follower, else the first that answers.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import type { SnapshotRecord } from '../core/api.js';
import { newestFirst, recordFileName, snapshotFileName } from '../core/snapshot-files.js';
import { SnapshotDigest } from './checksum.js';

export interface SnapshotOptions {
  /** The members it may stream from, in the controller's order (followers first). */
  from: { member: string; endpoint: string }[];
  dir: string;
  cluster: string;
  keep: number;
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
  requestedAt?: string;
  scheduledFor?: string;
  timeoutMs: number;
}

/** How long the member may take to answer Status: one that cannot will not stream a snapshot either. */
const ANSWER_TIMEOUT_MS = 10_000;
/** gRPC's status code for a call past its deadline. */
const DEADLINE_EXCEEDED = 4;

function client(o: SnapshotOptions, endpoint: string): Etcd3 {
  return new Etcd3({
    hosts: [endpoint],
    // etcd3 1.1.2 ignores dialTimeout: only deadlines bound a call, and without one a member that accepts
    // connections but never answers (a frozen process) holds the Job until its activeDeadlineSeconds. The stream's
    // deadline also cancels it at etcd's end. One attempt each: the controller retries a failed Job.
    faultHandling: { global: noop, host: () => noop },
    defaultCallOptions: (ctx) => ({ deadline: Date.now() + (ctx.isStream ? o.timeoutMs : ANSWER_TIMEOUT_MS) }),
    ...(o.tls ? { credentials: { rootCertificate: o.tls.ca, certChain: o.tls.cert, privateKey: o.tls.key } } : {}),
  });
}

type Status = Awaited<ReturnType<Etcd3['maintenance']['status']>>;
interface Source { member: string; etcd: Etcd3; status: Status }

/** Asks every member offered for its status at once; keeps the first voting follower that answers (else the first answering). */
async function chooseSource(o: SnapshotOptions): Promise<Source> {
  const asked = await Promise.all(o.from.map(async (f) => {
    const etcd = client(o, f.endpoint);
    try {
      const source: Source = { member: f.member, etcd, status: await etcd.maintenance.status() };
      return source;
    } catch (err) {
      etcd.close();
      return { member: f.member, error: (err as Error).message };
    }
  }));
  const answered = asked.filter((a): a is Source => 'status' in a);
  const voting = answered.filter((a) => !a.status.isLearner);
  const chosen = voting.find((a) => a.status.leader !== a.status.header.member_id) ?? voting[0];
  for (const a of answered) if (a !== chosen) a.etcd.close();
  if (!chosen) throw new Error(`no voting member answered: ${asked.map((a) => `${a.member}: ${'error' in a ? a.error : 'a learner'}`).join('; ')}`);
  return chosen;
}

/** The stream into `file`: returns the revision of the first header (the snapshot's point in time), the size and the sha256. */
async function stream(etcd: Etcd3, fd: number, timeoutMs: number): Promise<{ revision: number; sizeBytes: number; sha256: string }> {
  const digest = new SnapshotDigest();
  let revision = 0;
  let sizeBytes = 0;
  let remaining = -1;
  const s = await etcd.maintenance.snapshot();
  await new Promise<void>((resolve, reject) => {
    // A failed write (a full volume) must reject: thrown from the listener it would crash the program, no result.
    let failed = false;
    s.on('data', (r) => {
      if (failed) return;
      try {
        if (!revision) revision = Number(r.header?.revision ?? 0);
        writeAll(fd, r.blob);
      } catch (err) {
        failed = true;
        reject(err);
        return;
      }
      digest.update(r.blob);
      sizeBytes += r.blob.length;
      remaining = Number(r.remaining_bytes);
    });
    s.on('error', (err) => {
      reject((err as { code?: number }).code === DEADLINE_EXCEEDED ? new Error(`the snapshot stream did not end within ${timeoutMs} ms`) : err);
    });
    s.on('end', () => resolve());
  });
  if (remaining !== 0) throw new Error(`the snapshot stream ended with ${remaining} bytes still to come (${sizeBytes} received)`);
  const { sha256, etcdChecksumOk } = digest.finish();
  if (!etcdChecksumOk) throw new Error(`the snapshot's bytes do not match etcd's checksum at its end (${sizeBytes} bytes): not kept`);
  return { revision, sizeBytes, sha256 };
}

/** Takes the snapshot, keeps the newest `keep`, and returns the record and the names pruned. */
export async function takeSnapshot(o: SnapshotOptions): Promise<{ snapshot: SnapshotRecord; pruned: string[] }> {
  const { member, etcd, status } = await chooseSource(o);
  const partial = join(o.dir, `.partial-${process.pid}`);
  try {
    // The revision before the stream bounds the snapshot's from below, where a member's first header has none.
    const before = Number(status.header.revision);
    const takenAt = new Date();
    const fd = openSync(partial, 'w', 0o640);
    let got: Awaited<ReturnType<typeof stream>>;
    try {
      got = await stream(etcd, fd, o.timeoutMs);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const revision = got.revision || before;
    const name = snapshotFileName(o.cluster, takenAt, revision);
    const snapshot: SnapshotRecord = {
      name, revision, sizeBytes: got.sizeBytes, sha256: got.sha256, takenAt: takenAt.toISOString(), member,
      fromLeader: status.leader === status.header.member_id,
      ...(o.requestedAt ? { requestedAt: o.requestedAt } : {}),
      ...(o.scheduledFor ? { scheduledFor: o.scheduledFor } : {}),
    };
    renameSync(partial, join(o.dir, name));
    writeDurably(join(o.dir, recordFileName(name)), `${JSON.stringify(snapshot, null, 2)}\n`);
    syncDir(o.dir);
    return { snapshot, pruned: prune(o.dir, o.cluster, o.keep) };
  } finally {
    rmSync(partial, { force: true });
    etcd.close();
  }
}

/** writeSync may write less than asked (a volume filling up): the sha256 is of what was received, so all of it goes in. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
}

function writeDurably(path: string, text: string): void {
  const fd = openSync(path, 'w', 0o640);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Deletes this cluster's snapshots past the newest `keep`, with their records, and leftovers of interrupted runs. */
function prune(dir: string, cluster: string, keep: number): string[] {
  const files = readdirSync(dir);
  const pruned = newestFirst(cluster, files.filter((f) => f.endsWith('.db'))).slice(keep);
  for (const name of pruned) {
    rmSync(join(dir, recordFileName(name)), { force: true });
    rmSync(join(dir, name), { force: true });
  }
  for (const f of files.filter((f) => f.startsWith('.partial-'))) rmSync(join(dir, f), { force: true });
  syncDir(dir);
  return pruned;
}
