// etcd versions and the paths between them (SPEC.md, "Versions"), pure. etcd upgrades one minor at a time
// (3.4 -> 3.5 -> 3.6) and cannot go back a minor once the cluster version has moved (it writes the newer
// minor's storage schema); patch releases within a minor are interchangeable both ways.

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
}

/** "3.5.16" (a leading "v" is allowed, as in image tags); undefined for anything else. */
export function parseVersion(text: string | undefined): EtcdVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** "3.5", the part of a version etcd's cluster version moves by. */
export function minorOf(text: string | undefined): string | undefined {
  const v = parseVersion(text) ?? parseMinor(text);
  return v ? `${v.major}.${v.minor}` : undefined;
}

function parseMinor(text: string | undefined): EtcdVersion | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(text ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: 0 } : undefined;
}

export type VersionPath =
  | { kind: 'same' }
  | { kind: 'patch' }
  | { kind: 'upgrade' }
  | { kind: 'unparsable'; which: 'from' | 'to' }
  | { kind: 'downgrade' }
  | { kind: 'skipped'; via: string }
  | { kind: 'major' };

/** What a change from `from` to `to` is: within a minor, one minor up, or a path etcd does not take. */
export function versionPath(from: string, to: string): VersionPath {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!b) return { kind: 'unparsable', which: 'to' };
  if (!a) return { kind: 'unparsable', which: 'from' };
  if (a.major !== b.major) return { kind: 'major' };
  if (a.minor === b.minor) return a.patch === b.patch ? { kind: 'same' } : { kind: 'patch' };
  if (b.minor < a.minor) return { kind: 'downgrade' };
  if (b.minor > a.minor + 1) return { kind: 'skipped', via: `${a.major}.${a.minor + 1}` };
  return { kind: 'upgrade' };
}

/** Orders versions (for "newest running"); unparsable ones sort first. */
export function compareVersions(x: string, y: string): number {
  const a = parseVersion(x);
  const b = parseVersion(y);
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * The metrics listener's path for a liveness probe: /livez (3.5.11 on, 3.4.29 on) answers while the member can
 * read its own store, leader or not, so a cluster without quorum is not restarted into a worse state; before it,
 * /metrics, which answers while the process serves at all (/health there needs a leader).
 */
export function livenessPath(version: string): string {
  const v = parseVersion(version);
  if (!v) return '/metrics';
  const livez = v.major > 3 || (v.major === 3 && (v.minor > 5 || (v.minor === 5 && v.patch >= 11) || (v.minor === 4 && v.patch >= 29)));
  return livez ? '/livez' : '/metrics';
}
