// The member guard (bin/etcd-member-guard) on real etcd data dirs, 3.4.23 and 3.5.16: it reads the member ID
// from etcd's own WAL, starts etcd only on the member's own data or on an empty volume of a member that never
// ran, and refuses (exit code, termination message) an emptied volume of a member that has, or another
// member's data.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEntry, type MemberStartEntry } from '../../core/member-entry.js';
import { GUARD_EXIT } from '../../core/member-guard.js';
import { walIdentity } from '../../core/wal.js';
import { ROOT } from '../helpers/cluster.js';
import { freePort } from '../helpers/etcd-processes.js';

const versions: [string, string][] = [
  ['3.4.23', '/usr/bin/etcd'],
  ['3.5.16', join(execFileSync('bash', [join(ROOT, 'localcluster/scripts/fetch-etcd.sh'), '--dir', '3.5.16'], { encoding: 'utf8' }).trim(), 'bin/etcd')],
];

/** Runs a one-member etcd on a fresh data dir until it serves, then stops it; returns the dir and the ID etcdctl reports. */
// Free ports, and the answer checked for this member's peer URL: a port picked at random was once held by another
// etcd on the machine, which answered instead, and the test read a WAL that was never written.
async function etcdDataDir(bin: string, root: string): Promise<{ dir: string; id: string }> {
  const dir = join(root, 'data');
  const ports = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${ports[0]}`;
  const peer = `http://127.0.0.1:${ports[1]}`;
  const out = execFileSync('bash', ['-c', `"$0" --name m0 --data-dir "$1" --listen-client-urls "$2" --advertise-client-urls "$2" --listen-peer-urls "$3" --initial-advertise-peer-urls "$3" --initial-cluster "m0=$3" >/dev/null 2>&1 & p=$!
    for i in $(seq 1 100); do ETCDCTL_API=3 etcdctl --endpoints "$2" member list 2>/dev/null && break; sleep 0.1; done; kill $p; wait $p 2>/dev/null; true`, bin, dir, client, peer], { encoding: 'utf8' });
  const id = out.split(',')[0].trim().padStart(16, '0');
  if (!/^[0-9a-f]{16}$/.test(id) || !out.includes(peer)) throw new Error(`no member ID of the etcd at ${peer} from etcdctl: ${out}`);
  return { dir, id };
}

function guard(root: string, entry: MemberStartEntry | undefined, dataDir: string): { code: number; message: string; line: string } {
  const entryFile = join(root, 'entry');
  rmSync(entryFile, { force: true });
  if (entry) writeFileSync(entryFile, formatEntry({ cluster: 'demo', namespace: 'ns', token: 't' }, 'demo-0', entry));
  const termination = join(root, 'termination-log');
  rmSync(termination, { force: true });
  const r = spawnSync(join(ROOT, 'bin/etcd-member-guard'), ['--entry', entryFile, '--data-dir', dataDir, '--member', 'demo-0'],
    { encoding: 'utf8', env: { ...process.env, GUARD_TERMINATION_LOG: termination } });
  let message = '';
  try { message = readFileSync(termination, 'utf8'); } catch { /* started: no message */ }
  return { code: r.status ?? -1, message, line: r.stdout.trim() };
}

describe.each(versions)('member guard on etcd %s data', (_version, bin) => {
  let root: string;
  let dir: string;
  let id: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'etcdop-guard-'));
    ({ dir, id } = await etcdDataDir(bin, root));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const entry = (e: Partial<MemberStartEntry> = {}): MemberStartEntry => ({ state: 'existing', initialCluster: 'x', memberId: id, addedAt: '2026-01-01T00:00:00Z', ...e });

  it('reads the member ID etcd reports from the WAL', () => {
    const wal = readdirSync(join(dir, 'member/wal')).find((f) => f.endsWith('.wal'))!;
    expect(walIdentity(readFileSync(join(dir, 'member/wal', wal)))?.memberId).toBe(id);
  });
  it('starts etcd on the member\'s own data (exit 0)', () => {
    const r = guard(root, entry({ joinedAt: '2026-01-01T00:01:00Z' }), dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.line)).toMatchObject({ component: 'etcd-member-guard', start: true, reason: 'OwnData' });
  });
  it('refuses another member\'s data (exit 5) and says whose it is', () => {
    const r = guard(root, entry({ memberId: 'ffff00000000abcd' }), dir);
    expect(r.code).toBe(GUARD_EXIT.ForeignData);
    expect(r.message).toContain(`ForeignData: demo-0 (ffff00000000abcd): this volume holds the data of member ${id}`);
  });
  it('refuses an emptied volume of a member that has run (exit 4), starts a never-run one', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    const lost = guard(root, entry({ joinedAt: '2026-01-01T00:01:00Z' }), empty);
    expect(lost.code).toBe(GUARD_EXIT.DataLost);
    expect(lost.message).toMatch(/^DataLost: demo-0 \([0-9a-f]{16}\) has run before/);
    expect(guard(root, entry(), empty).code).toBe(0);
  });
  it('a data dir it cannot read (not ENOENT: here ENOTDIR) is never called empty: exit 0, unchecked', () => {
    const odd = join(root, 'odd');
    mkdirSync(odd, { recursive: true });
    writeFileSync(join(odd, 'member'), 'not a directory');
    const r = guard(root, entry({ joinedAt: '2026-01-01T00:01:00Z' }), odd);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.line)).toMatchObject({ start: true, reason: 'Unverified' });
  });
  it('no entry yet: exit 3', () => {
    expect(guard(root, undefined, dir).code).toBe(GUARD_EXIT.NoStartEntry);
  });
});
