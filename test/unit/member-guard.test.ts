// The member guard's decision (core/member-guard.ts) and the WAL identity it rests on (core/wal.ts), over
// synthetic WAL bytes framed as etcd frames them; test/integration/member-guard.test.ts reads real ones.
import { guardVerdict } from '../../core/member-guard.js';
import type { MemberStartEntry } from '../../core/member-entry.js';
import { walIdentity } from '../../core/wal.js';

const ID = '0628170c800dbcee';
const entry = (e: Partial<MemberStartEntry> = {}): MemberStartEntry => ({ state: 'existing', initialCluster: 'x', memberId: ID, addedAt: '2026-01-01T00:00:00Z', ...e });

function varint(v: bigint): number[] {
  const out: number[] = [];
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return out;
}
const field = (num: number, wire: number, body: number[]) => [...varint(BigInt((num << 3) | wire)), ...body];
const bytesField = (num: number, b: number[]) => field(num, 2, [...varint(BigInt(b.length)), ...b]);
/** One WAL frame: length (low 56 bits; top byte 0x80|pad when padded), the record, the padding. */
function frame(type: bigint, data: number[]): number[] {
  const rec = [...field(1, 0, varint(type)), ...field(2, 0, varint(12345n)), ...bytesField(3, data)];
  const pad = (8 - (rec.length % 8)) % 8;
  const len = BigInt(rec.length) | (pad ? BigInt(0x80 | pad) << 56n : 0n);
  const head = Array.from({ length: 8 }, (_, i) => Number((len >> BigInt(8 * i)) & 0xffn));
  return [...head, ...rec, ...new Array(pad).fill(0)];
}
const wal = (node: bigint, cluster: bigint) =>
  Uint8Array.from([...frame(4n, []), ...frame(1n, [...field(1, 0, varint(node)), ...field(2, 0, varint(cluster))]), ...frame(2n, [1, 2, 3]), ...new Array(64).fill(0)]);

describe('WAL identity', () => {
  it('reads NodeID and ClusterID from the metadata record after the crc record, as 16 hex digits', () => {
    expect(walIdentity(wal(0x0628170c800dbceen, 0xbabc9795b64f03e3n))).toEqual({ memberId: ID, clusterId: 'babc9795b64f03e3' });
    // 64-bit IDs survive (no float rounding).
    expect(walIdentity(wal(0xffffffffffffffffn, 1n))?.memberId).toBe('ffffffffffffffff');
  });
  it('a preallocated (zeroed), torn or foreign file has no identity', () => {
    expect(walIdentity(new Uint8Array(4096))).toBeUndefined();
    expect(walIdentity(wal(5n, 6n).subarray(0, 30))).toBeUndefined();
    expect(walIdentity(Uint8Array.from([255, 255, 255, 255, 255, 255, 255, 0, 1, 2]))).toBeUndefined();
  });
});

describe('member guard', () => {
  const own = { walFiles: 1, wal: { memberId: ID, clusterId: 'c' } };
  it('starts etcd on the member\'s own data, and on an empty volume for a member that never ran', () => {
    expect(guardVerdict('demo-1', entry({ joinedAt: '2026-01-01T00:01:00Z' }), own)).toMatchObject({ start: true, reason: 'OwnData' });
    expect(guardVerdict('demo-1', entry(), { walFiles: 0 })).toMatchObject({ start: true, reason: 'FirstStart' });
    // The bootstrap member's entry names no ID until the controller first sees it.
    expect(guardVerdict('demo-0', entry({ memberId: undefined, state: 'new' }), { walFiles: 1, wal: { memberId: 'aaaa000000000001', clusterId: 'c' } })).toMatchObject({ start: true });
  });
  it('refuses an empty volume for a member that has run before (data lost), naming it', () => {
    const v = guardVerdict('demo-1', entry({ joinedAt: '2026-01-01T00:01:00Z' }), { walFiles: 0 });
    expect(v).toMatchObject({ start: false, reason: 'DataLost' });
    expect(v.message).toBe(`demo-1 (${ID}) has run before (joined 2026-01-01T00:01:00Z) but its volume holds no data: it was lost; refusing to start etcd under its old member ID (etcd-controller replaces the member)`);
  });
  it('refuses another member\'s data, and a pod without its start entry', () => {
    expect(guardVerdict('demo-1', entry(), { walFiles: 2, wal: { memberId: 'bbbb000000000002', clusterId: 'c' } })).toMatchObject({ start: false, reason: 'ForeignData' });
    expect(guardVerdict('demo-1', undefined, { walFiles: 0 })).toMatchObject({ start: false, reason: 'NoStartEntry' });
  });
  it('a data dir it may not read is never called empty: etcd starts, unchecked', () => {
    expect(guardVerdict('demo-1', entry({ joinedAt: 'x' }), { walFiles: 0, unreadable: '/var/lib/etcd/member/wal: EACCES' })).toMatchObject({ start: true, reason: 'Unverified' });
  });
  it('a WAL it cannot read is left to etcd (its own checks and repair)', () => {
    expect(guardVerdict('demo-1', entry({ joinedAt: 'x' }), { walFiles: 1 })).toMatchObject({ start: true, reason: 'UnreadableWal' });
  });
});
