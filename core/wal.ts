// Whose data a volume holds, read from etcd's own write-ahead log: every WAL file begins with a metadata
// record naming the member (NodeID) and the cluster (ClusterID). Pure: callers pass the bytes of a WAL file.
//
// Framing (etcd server/storage/wal, stable since 3.0): an 8-byte little-endian length field (the low 56 bits
// are the record's size; when the top bit is set, its low 3 bits count the padding that aligns the record to
// 8 bytes), then a protobuf walpb.Record {int64 type = 1; uint32 crc = 2; bytes data = 3}. Record type 1 is
// metadata: etcdserverpb.Metadata {uint64 NodeID = 1; uint64 ClusterID = 2}.

export interface WalIdentity {
  /** 16 lower-case hex digits, as member IDs are shown and stored everywhere else. */
  memberId: string;
  clusterId: string;
}

const METADATA_TYPE = 1n;
/** Records read before giving up on finding the metadata (it is the first or second: after a crc record). */
const MAX_RECORDS = 8;

interface Field {
  num: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

function readVarint(buf: Uint8Array, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < buf.length && shift < 70n; i++) {
    value |= BigInt(buf[i] & 0x7f) << shift;
    if ((buf[i] & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new Error('truncated varint');
}

/** The fields of a protobuf message we need (varints and length-delimited); others are skipped by wire type. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const key = readVarint(buf, at);
    at = key.next;
    const num = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    if (wire === 0) {
      const v = readVarint(buf, at);
      out.push({ num, varint: v.value });
      at = v.next;
    } else if (wire === 2) {
      const len = readVarint(buf, at);
      const end = len.next + Number(len.value);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ num, bytes: buf.subarray(len.next, end) });
      at = end;
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 5) {
      at += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

const hex = (v: bigint | undefined) => (v ?? 0n).toString(16).padStart(16, '0');

/** The member and cluster a WAL file belongs to; undefined when the file holds no readable metadata record. */
export function walIdentity(file: Uint8Array): WalIdentity | undefined {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 0;
  for (let n = 0; n < MAX_RECORDS && at + 8 <= file.length; n++) {
    const lenField = view.getBigUint64(at, true);
    at += 8;
    const size = Number(lenField & 0x00ff_ffff_ffff_ffffn);
    const pad = lenField >> 63n ? Number((lenField >> 56n) & 7n) : 0;
    if (size === 0 || at + size > file.length) return undefined; // preallocated zeros, or a torn tail
    let record: Field[];
    try {
      record = fields(file.subarray(at, at + size));
    } catch {
      return undefined;
    }
    at += size + pad;
    const type = record.find((f) => f.num === 1)?.varint ?? 0n;
    if (type !== METADATA_TYPE) continue;
    const data = record.find((f) => f.num === 3)?.bytes;
    if (!data) return undefined;
    try {
      const meta = fields(data);
      const node = meta.find((f) => f.num === 1)?.varint;
      if (node === undefined || node === 0n) return undefined;
      return { memberId: hex(node), clusterId: hex(meta.find((f) => f.num === 2)?.varint) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
