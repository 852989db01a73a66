// Snapshot files in PVC NAME-backups, as the snapshot Job (backup/) writes them and the controller, the webhook
// and the plugin read their names and records. Pure.
import type { SnapshotRecord } from './api.js';

/** NAME-YYYYMMDDTHHMMSSZ-rREVISION.db: names sort by time, and the revision is read without opening the file. */
export const SNAPSHOT_NAME_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-(\d{8}T\d{6}Z)-r(\d+)\.db$/;

export const backupsPvcName = (cluster: string) => `${cluster}-backups`;

/** The record beside each snapshot: NAME.db.json. */
export const recordFileName = (snapshot: string) => `${snapshot}.json`;

export function snapshotFileName(cluster: string, takenAt: Date, revision: number): string {
  const stamp = takenAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${cluster}-${stamp}-r${revision}.db`;
}

export function parseSnapshotName(name: string): { cluster: string; takenAt: string; revision: number } | undefined {
  const m = SNAPSHOT_NAME_RE.exec(name);
  if (!m) return undefined;
  const s = m[3];
  const takenAt = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
  return { cluster: m[1], takenAt, revision: Number(m[4]) };
}

/** The newest `keep` of one cluster's snapshot names, newest first (the rest are pruned). */
export function newestFirst(cluster: string, names: string[]): string[] {
  const ours = names.flatMap((name) => {
    const p = parseSnapshotName(name);
    return p?.cluster === cluster ? [{ name, ...p }] : [];
  });
  // Within one second the revision decides, as a number: as text "r10" sorts before "r9".
  return ours.sort((a, b) => b.takenAt.localeCompare(a.takenAt) || b.revision - a.revision).map((p) => p.name);
}

/** What a backup Job's program leaves in its termination message (read by the controller from the pod). */
export type JobResult =
  /** pruned: the files it deleted past spec.backup.keep (status drops them from its list). */
  | { snapshot: SnapshotRecord; pruned: string[] }
  | { restored: { snapshot: string; sha256: string; revision: number } }
  | { error: string };

/** Kubernetes keeps at most 4096 bytes of a termination message. */
export const TERMINATION_MESSAGE_MAX = 4096;

export function parseJobResult(text: string | undefined): JobResult | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.error === 'string') return { error: v.error };
    if (v.snapshot && typeof v.snapshot === 'object' && Array.isArray(v.pruned)) return v as JobResult;
    if (v.restored && typeof v.restored === 'object') return v as JobResult;
  } catch {
    // Not ours (a crash's last words): the caller reports the text as it is.
  }
  return undefined;
}
