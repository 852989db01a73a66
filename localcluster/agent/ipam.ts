// Pod addresses in the instance's subnet: .1 is the bridge, the last /24 holds Service ClusterIPs.
// Allocation rotates through the range, so a freed address is not handed out again at once.

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address "${ip}"`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`bad CIDR "${cidr}"`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, prefix };
}

export class AddressPool {
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Set<number>();
  private cursor: number;
  readonly prefix: number;

  /** Hosts of `subnet` from .2 up to just below `reserved` (the Service range). */
  constructor(subnet: string, reserved: string) {
    const { base, prefix } = parseCidr(subnet);
    this.prefix = prefix;
    this.first = base + 2;
    this.last = parseCidr(reserved).base - 1;
    if (this.last < this.first) throw new Error(`no pod addresses left in ${subnet} below ${reserved}`);
    this.cursor = this.first;
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n >= this.first && n <= this.last;
  }

  /** Takes a specific address (an existing pod's), false when it is outside the pool or taken. */
  claim(ip: string): boolean {
    if (!this.contains(ip)) return false;
    const n = ipToInt(ip);
    if (this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  allocate(): string {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((this.cursor - this.first + i) % size);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.cursor = n + 1 > this.last ? this.first : n + 1;
        return intToIp(n);
      }
    }
    throw new Error(`pod address pool exhausted (${size} addresses)`);
  }

  release(ip: string): void {
    this.used.delete(ipToInt(ip));
  }
}
