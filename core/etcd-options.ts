// spec.etcdOptions (SPEC.md, "Security and pods"): checked at admission (rule V11), written into every member's
// config file (core/member-entry.ts), and rolled out one member at a time when they change. Pure.
import { isPlainObject } from './admission-review.js';
import type { EtcdOptions } from './api.js';

export const MAX_QUOTA_BACKEND_BYTES = 8 * 2 ** 30;
export const MIN_QUOTA_BACKEND_BYTES = 64 * 2 ** 20;
/** etcd's own defaults, against which the timings are checked when only one of them is given. */
export const DEFAULT_HEARTBEAT_MS = 100;
export const DEFAULT_ELECTION_MS = 1000;
/** etcd refuses an election timeout above this (ms). */
export const MAX_ELECTION_MS = 50_000;
export const MIN_SNAPSHOT_COUNT = 1000;

/** etcd's key for each option, in the order they are written. */
const KEYS: [keyof EtcdOptions, string][] = [
  ['quotaBackendBytes', 'quota-backend-bytes'],
  ['autoCompactionMode', 'auto-compaction-mode'],
  ['autoCompactionRetention', 'auto-compaction-retention'],
  ['heartbeatInterval', 'heartbeat-interval'],
  ['electionTimeout', 'election-timeout'],
  ['snapshotCount', 'snapshot-count'],
];

/** The options as the controller applies them: known keys only, in a fixed order (so equal options compare equal). */
export function normalizeOptions(options: EtcdOptions | undefined): EtcdOptions {
  const out: Record<string, unknown> = {};
  for (const [k] of KEYS) if (options?.[k] !== undefined) out[k] = options[k];
  return out as EtcdOptions;
}

/** The config-file lines of the options (YAML, as etcd's --config-file reads them on 3.4 to 3.6). */
export function optionLines(options: EtcdOptions | undefined): string[] {
  const o = normalizeOptions(options);
  return KEYS.filter(([k]) => o[k] !== undefined).map(([k, key]) => {
    const v = o[k]!;
    return typeof v === 'number' ? `${key}: ${v}` : `${key}: '${String(v).replaceAll("'", "''")}'`;
  });
}

/** A Go duration as etcd parses auto-compaction-retention ("1h", "30m", "1h30m", "90s"). */
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Every problem of spec.etcdOptions, each saying the bound and why (V11); empty when they can run. */
export function etcdOptionProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw)) return ['spec.etcdOptions must be an object'];
  const out: string[] = [];
  const known = new Set(KEYS.map(([k]) => k as string));
  for (const k of Object.keys(raw)) {
    if (!known.has(k)) out.push(`spec.etcdOptions.${k} is not an option the operator sets (it sets ${KEYS.map(([x]) => x).join(', ')})`);
  }
  const q = raw.quotaBackendBytes;
  if (q !== undefined && (!isInt(q) || q < MIN_QUOTA_BACKEND_BYTES || q > MAX_QUOTA_BACKEND_BYTES)) {
    out.push(`spec.etcdOptions.quotaBackendBytes is ${JSON.stringify(q)}: it must be a whole number of bytes from ${MIN_QUOTA_BACKEND_BYTES} (64 MiB) ` +
      `to ${MAX_QUOTA_BACKEND_BYTES} (8 GiB, etcd's suggested maximum: a larger backend makes restarts, snapshots and defragmentation slow)`);
  }
  const mode = raw.autoCompactionMode;
  if (mode !== undefined && mode !== 'periodic' && mode !== 'revision') {
    out.push(`spec.etcdOptions.autoCompactionMode is ${JSON.stringify(mode)}: it must be periodic or revision`);
  }
  const retention = raw.autoCompactionRetention;
  if (retention !== undefined) {
    const s = typeof retention === 'string' ? retention : '';
    const ok = mode === 'revision' ? /^[1-9][0-9]*$/.test(s) : /^[0-9]+$/.test(s) || GO_DURATION.test(s);
    if (!ok) {
      out.push(mode === 'revision'
        ? `spec.etcdOptions.autoCompactionRetention is ${JSON.stringify(retention)}: with autoCompactionMode revision it is the number of revisions to keep, a whole number as a string (e.g. "10000")`
        : `spec.etcdOptions.autoCompactionRetention is ${JSON.stringify(retention)}: with periodic compaction it is a duration such as "1h" or "30m", or a number of hours as a string (e.g. "8")`);
    }
  }
  out.push(...timingProblems(raw.heartbeatInterval, raw.electionTimeout));
  const snap = raw.snapshotCount;
  if (snap !== undefined && (!isInt(snap) || snap < MIN_SNAPSHOT_COUNT)) {
    out.push(`spec.etcdOptions.snapshotCount is ${JSON.stringify(snap)}: it must be a whole number of at least ${MIN_SNAPSHOT_COUNT} (fewer makes etcd snapshot its raft log almost on every write)`);
  }
  return out;
}

/** etcd refuses to start with an election timeout under 5 heartbeats or over 50 s. */
function timingProblems(heartbeat: unknown, election: unknown): string[] {
  const out: string[] = [];
  if (heartbeat !== undefined && (!isInt(heartbeat) || heartbeat < 10 || heartbeat > 1000)) {
    out.push(`spec.etcdOptions.heartbeatInterval is ${JSON.stringify(heartbeat)}: it must be a whole number of milliseconds from 10 to 1000`);
  }
  if (election !== undefined && (!isInt(election) || election < 50 || election > MAX_ELECTION_MS)) {
    out.push(`spec.etcdOptions.electionTimeout is ${JSON.stringify(election)}: it must be a whole number of milliseconds from 50 to ${MAX_ELECTION_MS} (etcd's maximum)`);
  }
  if (out.length || (heartbeat === undefined && election === undefined)) return out;
  const hb = (heartbeat as number | undefined) ?? DEFAULT_HEARTBEAT_MS;
  const el = (election as number | undefined) ?? DEFAULT_ELECTION_MS;
  if (el < 5 * hb) {
    out.push(`spec.etcdOptions: the election timeout (${el} ms${election === undefined ? ', etcd\'s default' : ''}) must be at least 5 heartbeat intervals ` +
      `(${hb} ms${heartbeat === undefined ? ', etcd\'s default' : ''} x 5 = ${5 * hb} ms), or etcd refuses to start; raise electionTimeout or lower heartbeatInterval`);
  }
  return out;
}
