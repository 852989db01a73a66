// bin/etcd-backup, the program of the snapshot and restore Jobs, against real etcd processes: the snapshot's
// name, record and etcd's own view of it; a follower's snapshot taken under writes, restored the way the restore
// Job does it (verify, etcd's restore tool, finish), holds every put acknowledged at or below its recorded
// revision; pruning to --keep; what verify refuses; mutual TLS on 3.4.23 and 3.5.16; and failures that must end
// in exit 1 with an {error} result and no file. The plain-HTTP members run ETCD_BIN (test/helpers/etcd-processes.ts).
// Needs `make build` (the program runs from dist/ as in the image).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Etcd3, type IOptions } from 'etcd3';
import { issueClient, issueMember, makeCa } from '../../controller/certificates.js';
import type { SnapshotRecord } from '../../core/api.js';
import type { JobResult } from '../../core/snapshot-files.js';
import { CONTROLLER_CLIENT_CN, type IssuedPem } from '../../core/tls-objects.js';
import { ROOT, run } from '../helpers/cluster.js';
import { ETCD_BIN, EtcdProcessCluster, freePort, startEtcdCluster, waitFor } from '../helpers/etcd-processes.js';
import { TlsEtcdCluster } from '../helpers/etcd-tls-processes.js';
import { AckWriter } from '../helpers/writer.js';

const BACKUP = join(ROOT, 'bin/etcd-backup');
const V35_DIR = '/root/.cache/etcd-k8s-operator/etcd-3.5.16/bin';
const VERSIONS: [string, string][] = [['3.4.23', '/usr/bin'], ['3.5.16', V35_DIR]];
const PLAIN_DIR = dirname(ETCD_BIN);
const PLAIN_VERSION = /etcd Version: (\S+)/.exec(execFileSync(ETCD_BIN, ['--version'], { encoding: 'utf8' }))![1];

/** etcd's restore tool for a version, as the restore Job picks it (controller/backup-objects.ts). */
const restoreTool = (dir: string, version: string) => join(dir, version.startsWith('3.4.') ? 'etcdctl' : 'etcdutl');

let work: string;
let runs = 0;
beforeAll(() => {
  expect(existsSync(join(ROOT, 'dist/backup/main.js'))).toBe(true);
  work = mkdtempSync(join(tmpdir(), 'etcdop-backup-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const freshDir = (name: string) => {
  const dir = join(work, `${name}-${++runs}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
};

interface Outcome { code: number; result: JobResult; stderr: string }

/**
 * One run of bin/etcd-backup; what it prints must be what it leaves in the termination log. With
 * fileLimitKiB the program runs under `ulimit -f` (SIGXFSZ ignored, so a write past it fails with EFBIG).
 */
async function backup(args: string[], fileLimitKiB?: number): Promise<Outcome> {
  const log = join(work, `termination-log-${++runs}`);
  const [cmd, argv] = fileLimitKiB ? ['bash', ['-c', `trap '' XFSZ; ulimit -f ${fileLimitKiB}; exec "$0" "$@"`, BACKUP, ...args]] : [BACKUP, args];
  const r = await run(cmd, argv, { env: { BACKUP_TERMINATION_LOG: log }, timeoutMs: 60_000 });
  const printed = r.stdout.trim();
  expect(readFileSync(log, 'utf8')).toBe(printed);
  return { code: r.code, result: JSON.parse(printed) as JobResult, stderr: r.stderr };
}

interface SnapshotArgs { endpoint: string; dir: string; member?: string; keep?: number; extra?: string[]; /** more members offered after the first */ more?: [string, string][] }
const snapshotArgs = (o: SnapshotArgs) => [
  'snapshot', ...[[o.member ?? 'demo-0', o.endpoint], ...(o.more ?? [])].flatMap(([m, u]) => ['--from', `${m}=${u}`]),
  '--dir', o.dir, '--cluster', 'demo', '--keep', String(o.keep ?? 5), ...(o.extra ?? []),
];

async function snapshot(o: SnapshotArgs): Promise<{ snapshot: SnapshotRecord; pruned: string[] }> {
  const out = await backup(snapshotArgs(o));
  expect(out).toMatchObject({ code: 0, result: { snapshot: expect.any(Object) } });
  return out.result as { snapshot: SnapshotRecord; pruned: string[] };
}

/** The file and its record as written: the record is the result, its sha256 and size are the file's. */
function expectOnDisk(dir: string, s: SnapshotRecord): void {
  const bytes = readFileSync(join(dir, s.name));
  expect(JSON.parse(readFileSync(join(dir, `${s.name}.json`), 'utf8'))).toEqual(s);
  expect(s.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(s.sizeBytes).toBe(bytes.length);
}

/** Expects exit 1 with an {error} result matching `message`, and nothing left in `dir`. */
function expectFailedClean(out: Outcome, message: RegExp, dir: string): void {
  expect(out.code).toBe(1);
  expect(out.result).toEqual({ error: expect.stringMatching(message) });
  expect(readdirSync(dir)).toEqual([]);
}

interface RestoreTarget { source: string; snapshot: string; data: string; name: string; peerURL: string; tool: string }

/** What the restore Job's containers do, in order: verify, etcd's `snapshot restore` into staging, finish. */
async function restore(t: RestoreTarget): Promise<void> {
  const staging = join(t.data, '.restore');
  const paths = ['--source', t.source, '--snapshot', t.snapshot, '--data', t.data, '--staging', staging];
  expect(await backup(['verify', ...paths])).toMatchObject({ code: 0, result: { restored: { snapshot: t.snapshot } } });
  const restored = await run(t.tool, [
    'snapshot', 'restore', join(t.source, t.snapshot), '--name', t.name, '--initial-cluster', `${t.name}=${t.peerURL}`,
    '--initial-advertise-peer-urls', t.peerURL, '--initial-cluster-token', 'restored', '--data-dir', staging,
  ], { env: { ETCDCTL_API: '3' } });
  expect({ code: restored.code, stderr: restored.code ? restored.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(await backup(['finish', ...paths])).toMatchObject({ code: 0, result: { restored: { snapshot: t.snapshot } } });
  expect(readdirSync(t.data)).toEqual(['member']);
}

async function withClient<T>(options: IOptions, fn: (c: Etcd3) => Promise<T>): Promise<T> {
  const c = new Etcd3(options);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Puts n keys under prefix/; returns them and the revision of the last put. */
async function putKeys(c: Etcd3, prefix: string, n: number): Promise<{ keys: Record<string, string>; revision: number }> {
  const keys: Record<string, string> = {};
  let revision = 0;
  for (let i = 0; i < n; i++) {
    keys[`${prefix}/${i}`] = `value-${i}`;
    revision = Number((await c.put(`${prefix}/${i}`).value(`value-${i}`)).header.revision);
  }
  return { keys, revision };
}

describe(`etcd-backup against etcd ${PLAIN_VERSION} over plain HTTP`, () => {
  let one: EtcdProcessCluster;
  let three: EtcdProcessCluster;
  let restored: EtcdProcessCluster | undefined;
  let taken: { dir: string; snapshot: SnapshotRecord };
  const oneURL = () => one.member('s0').clientURL;

  beforeAll(async () => {
    [one, three] = await Promise.all([startEtcdCluster(1, 's'), startEtcdCluster(3, 'm')]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), three?.stop(), restored?.stop()]);
  });

  it('names a one-member snapshot by the revision etcd reports, records its sha256 and size, and etcd reads that revision in it', async () => {
    const { revision } = await withClient({ hosts: [oneURL()] }, (c) => putKeys(c, 'known', 10));
    const status = await run(join(PLAIN_DIR, 'etcdctl'), [`--endpoints=${oneURL()}`, 'endpoint', 'status', '-w', 'json'], { env: { ETCDCTL_API: '3' } });
    expect((JSON.parse(status.stdout) as { Status: { header: { revision: number } } }[])[0].Status.header.revision).toBe(revision);

    const dir = freshDir('one');
    const { snapshot: s, pruned } = await snapshot({ endpoint: oneURL(), dir, extra: ['--requested-at', '2026-12-02T10:00:00Z'] });
    expect(pruned).toEqual([]);
    expect(s).toMatchObject({ revision, member: 'demo-0', fromLeader: true, requestedAt: '2026-12-02T10:00:00Z' });
    expect(s.name).toMatch(new RegExp(`^demo-\\d{8}T\\d{6}Z-r${revision}\\.db$`));
    expect(readdirSync(dir).sort()).toEqual([s.name, `${s.name}.json`]);
    expectOnDisk(dir, s);

    const st = await run(join(V35_DIR, 'etcdutl'), ['snapshot', 'status', join(dir, s.name), '-w', 'json']);
    expect(st.code).toBe(0);
    expect((JSON.parse(st.stdout) as { revision: number }).revision).toBe(revision);
    taken = { dir, snapshot: s };
  });

  it('a follower\'s snapshot under writes, restored by verify + etcd\'s restore + finish, holds every put acknowledged at or below its revision', async () => {
    const statuses = await Promise.all([...three.members.values()].map((m) =>
      withClient({ hosts: [m.clientURL] }, async (c) => ({ m, s: await c.maintenance.status() }))));
    const follower = statuses.find(({ s }) => s.header.member_id !== s.leader)!.m;
    const writer = new AckWriter({ endpoints: async () => three.clientURLs(), prefix: 'w', rate: 200, maxMs: 60_000 });
    const dir = freshDir('follower');
    await writer.start();
    let report: Awaited<ReturnType<AckWriter['stop']>>;
    let s: SnapshotRecord;
    try {
      await waitFor('100 acknowledged puts', async () => writer.acknowledged >= 100);
      s = (await snapshot({ endpoint: follower.clientURL, dir, member: follower.name })).snapshot;
      expect(s.fromLeader).toBe(false);
      const atSnapshot = writer.acknowledged;
      await waitFor('100 more acknowledged puts', async () => writer.acknowledged >= atSnapshot + 100);
    } finally {
      report = await writer.stop();
    }
    expect(s.member).toBe(follower.name);
    const inSnapshot = writer.acknowledgedAtOrBelow(s.revision);
    expect(inSnapshot).toBeGreaterThanOrEqual(100);
    expect(inSnapshot).toBeLessThan(report.acknowledged);

    restored = new EtcdProcessCluster();
    const r0 = await restored.define('r0');
    mkdirSync(r0.dataDir, { mode: 0o700 });
    await restore({ source: dir, snapshot: s.name, data: r0.dataDir, name: 'r0', peerURL: r0.peerURL, tool: restoreTool(PLAIN_DIR, PLAIN_VERSION) });
    restored.start('r0');
    await restored.waitHealthy();
    expect(await writer.verify(r0.clientURL, s.revision)).toEqual([]);
    const status = await withClient({ hosts: [r0.clientURL] }, (c) => c.maintenance.status());
    expect(Number(status.header.revision)).toBeGreaterThanOrEqual(s.revision);
  }, 60_000);

  it('chooses when it starts: the leader offered first and a follower next, from the follower; a member that refuses and the leader, from the leader', async () => {
    const statuses = await Promise.all([...three.members.values()].map((m) =>
      withClient({ hosts: [m.clientURL] }, async (c) => ({ m, s: await c.maintenance.status() }))));
    const leader = statuses.find(({ s }) => s.header.member_id === s.leader)!.m;
    const follower = statuses.find(({ s }) => s.header.member_id !== s.leader)!.m;
    const a = (await snapshot({ endpoint: leader.clientURL, member: leader.name, more: [[follower.name, follower.clientURL]], dir: freshDir('choose-a') })).snapshot;
    expect({ member: a.member, fromLeader: a.fromLeader }).toEqual({ member: follower.name, fromLeader: false });
    const refused = `http://127.0.0.1:${await freePort()}`;
    const b = (await snapshot({ endpoint: refused, member: 'gone', more: [[leader.name, leader.clientURL]], dir: freshDir('choose-b') })).snapshot;
    expect({ member: b.member, fromLeader: b.fromLeader }).toEqual({ member: leader.name, fromLeader: true });
  });

  it('--keep 2 after 3 snapshots leaves the 2 newest with their records, and names the oldest pruned (revisions across a power of ten)', async () => {
    const dir = freshDir('keep');
    const taken3: SnapshotRecord[] = [];
    await withClient({ hosts: [oneURL()] }, async (c) => {
      let { revision } = await putKeys(c, 'keep', 1);
      // The first at 10^k - 1, the next at 10^k: as text "r100" sorts before "r99".
      const boundary = 10 ** String(revision).length;
      while (revision < boundary - 1) revision = (await putKeys(c, 'keep', 1)).revision;
      for (let i = 0; i < 3; i++) {
        if (i > 0) await putKeys(c, 'keep', 1);
        const r = await snapshot({ endpoint: oneURL(), dir, keep: 2 });
        expect(r.pruned).toEqual(i < 2 ? [] : [taken3[0].name]);
        taken3.push(r.snapshot);
      }
      expect(taken3.map((s) => s.revision)).toEqual([boundary - 1, boundary, boundary + 1]);
    });
    expect(readdirSync(dir).sort()).toEqual(taken3.slice(1).flatMap((s) => [s.name, `${s.name}.json`]).sort());
    for (const s of taken3.slice(1)) expectOnDisk(dir, s);
  }, 60_000);

  it('verify refuses a corrupted snapshot (sha256 mismatch), a data dir holding member/, and a snapshot without its record', async () => {
    const { dir, snapshot: s } = taken;
    const source = (name: string, corrupt: boolean, withRecord: boolean) => {
      const d = freshDir(name);
      const bytes = readFileSync(join(dir, s.name));
      if (corrupt) bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(join(d, s.name), bytes);
      if (withRecord) copyFileSync(join(dir, `${s.name}.json`), join(d, `${s.name}.json`));
      return d;
    };
    const verify = (src: string, data: string) => backup(['verify', '--source', src, '--snapshot', s.name, '--data', data, '--staging', join(data, '.restore')]);
    const [emptyA, occupied, emptyB] = [freshDir('data'), freshDir('data'), freshDir('data')];
    mkdirSync(join(occupied, 'member'));
    const [corrupted, taken2, unrecorded] = await Promise.all([
      verify(source('corrupt', true, true), emptyA),
      verify(source('whole', false, true), occupied),
      verify(source('unrecorded', false, false), emptyB),
    ]);
    expect(corrupted.code).toBe(1);
    expect((corrupted.result as { error: string }).error).toContain('sha256 mismatch');
    expect(taken2.code).toBe(1);
    expect((taken2.result as { error: string }).error).toMatch(/already holds member data/);
    expect(unrecorded.code).toBe(1);
    expect((unrecorded.result as { error: string }).error).toMatch(/no record .*\.json/);
    expect([readdirSync(emptyA), readdirSync(occupied), readdirSync(emptyB)]).toEqual([[], ['member'], []]);
  });

  it('a member that accepts connections but never answers, or refuses them: exit 1, an {error}, nothing in the directory', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const [silentDir, refusedDir] = [freshDir('silent'), freshDir('refused')];
    try {
      const started = Date.now();
      const [quiet, refused] = await Promise.all([
        backup(snapshotArgs({ endpoint: `http://127.0.0.1:${port}`, dir: silentDir })),
        backup(snapshotArgs({ endpoint: `http://127.0.0.1:${await freePort()}`, dir: refusedDir })),
      ]);
      expectFailedClean(quiet, /DEADLINE_EXCEEDED/, silentDir);
      expectFailedClean(refused, /UNAVAILABLE/, refusedDir);
      // Bounded by the program's 10 s answer deadline, not the 30 min of the whole stream.
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      silent.close();
    }
  });

  it('a write that fails mid-stream (the volume full: here a file size limit) ends in an {error}, with no partial file left', async () => {
    const dir = freshDir('full');
    expectFailedClean(await backup(snapshotArgs({ endpoint: oneURL(), dir }), 8), /EFBIG/, dir);
  });
});

describe.each(VERSIONS)('etcd-backup over mutual TLS, etcd %s', (version, binDir) => {
  const now = new Date();
  let cluster: TlsEtcdCluster;
  let memberCert: IssuedPem;
  let clientCreds: IOptions['credentials'];
  let tlsDir: string;

  beforeAll(async () => {
    const ca = await makeCa('backup-it-ca', now);
    const [member, client, foreign] = await Promise.all([
      issueMember(ca, { cluster: 'demo', namespace: 'ns' }, now),
      issueClient(ca, CONTROLLER_CLIENT_CN, now),
      makeCa('other-ca', now).then((other) => issueClient(other, CONTROLLER_CLIENT_CN, now)),
    ]);
    memberCert = member;
    clientCreds = { rootCertificate: Buffer.from(ca.certPem), certChain: Buffer.from(client.certPem), privateKey: Buffer.from(client.keyPem) };
    cluster = new TlsEtcdCluster(join(binDir, 'etcd'));
    const m0 = await cluster.define('m0', memberCert);
    cluster.start('m0', `m0=${m0.peerURL}`, 'new');
    tlsDir = join(cluster.root, 'client-tls');
    cluster.mountFiles(tlsDir, { 'ca.crt': ca.certPem, 'tls.crt': client.certPem, 'tls.key': client.keyPem });
    cluster.mountFiles(join(cluster.root, 'ca-only'), { 'ca.crt': ca.certPem });
    cluster.mountFiles(join(cluster.root, 'foreign-tls'), { 'ca.crt': ca.certPem, 'tls.crt': foreign.certPem, 'tls.key': foreign.keyPem });
    await cluster.waitHealthy('m0');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it(`snapshots with --tls-dir, and ${version}'s restore tool restores it: every key back over TLS`, async () => {
    const m0 = cluster.member('m0');
    const { keys, revision } = await withClient({ hosts: [m0.clientURL], credentials: clientCreds }, (c) => putKeys(c, 'tls', 20));
    const dir = freshDir(`tls-${version}`);
    const { snapshot: s } = await snapshot({ endpoint: m0.clientURL, dir, extra: ['--tls-dir', tlsDir] });
    expect(s.revision).toBe(revision);
    expectOnDisk(dir, s);

    const r0 = await cluster.define('r0', memberCert);
    const data = join(cluster.root, 'r0', 'data');
    mkdirSync(data, { recursive: true, mode: 0o700 });
    await restore({ source: dir, snapshot: s.name, data, name: 'r0', peerURL: r0.peerURL, tool: restoreTool(binDir, version) });
    cluster.start('r0', `r0=${r0.peerURL}`, 'new');
    await cluster.waitHealthy('r0');
    const back = await withClient({ hosts: [r0.clientURL], credentials: clientCreds }, (c) => c.getAll().prefix('tls/').strings());
    expect(back).toEqual(keys);
  }, 60_000);

  it('without a client certificate, with only the CA, or with a certificate of another CA: exit 1, an {error}, nothing left', async () => {
    const url = cluster.member('m0').clientURL;
    const cases: [string[], RegExp][] = [
      [[], /UNAVAILABLE/],
      [['--tls-dir', join(cluster.root, 'ca-only')], /ENOENT.*tls\.crt/],
      [['--tls-dir', join(cluster.root, 'foreign-tls')], /UNAVAILABLE/],
    ];
    const dirs = cases.map(() => freshDir(`tls-refused-${version}`));
    const outs = await Promise.all(cases.map(([extra], i) => backup(snapshotArgs({ endpoint: url, dir: dirs[i], extra }))));
    outs.forEach((out, i) => expectFailedClean(out, cases[i][1], dirs[i]));
  });
});
