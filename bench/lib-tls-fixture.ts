// Throwaway certificates made with openssl, and the file layout the kubelet gives a mounted Secret
// (files -> ..data/ -> timestamped dir), with the symlink swap cert-manager rotations arrive by.
// Used by the webhook's integration and e2e tests and by the latency benchmark.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, readlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Ca { dir: string; cert: string; key: string }
export interface Issued { cert: string; key: string; certPem: Buffer; keyPem: Buffer }

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCa(dir: string, cn = 'etcd-webhook-test-ca'): Ca {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key,
    '-out', cert, '-subj', `/CN=${cn}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  return { dir, cert, key };
}

/** A serving certificate for `dnsNames` (and 127.0.0.1) signed by `ca`, written as NAME.crt / NAME.key in ca.dir. */
export function issueCert(ca: Ca, name: string, dnsNames: string[]): Issued {
  const cert = join(ca.dir, `${name}.crt`);
  const key = join(ca.dir, `${name}.key`);
  const csr = join(ca.dir, `${name}.csr`);
  const ext = join(ca.dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${[...dnsNames.map((d) => `DNS:${d}`), 'IP:127.0.0.1'].join(',')}\nextendedKeyUsage=serverAuth\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${dnsNames[0] ?? name}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key, certPem: readFileSync(cert), keyPem: readFileSync(key) };
}

/**
 * Writes tls.crt/tls.key into `dir` the way the kubelet's atomic writer does: a new timestamped directory,
 * `..data_tmp` pointing at it, renamed over `..data` in one step; the old directory is then removed.
 */
export function writeSecretDir(dir: string, files: Record<string, Buffer>, generation: number): void {
  mkdirSync(dir, { recursive: true });
  const versioned = `..gen_${generation}_${process.pid}`;
  mkdirSync(join(dir, versioned));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, versioned, name), data);
  const dataLink = join(dir, '..data');
  const previous = existsSync(dataLink) ? readlinkSync(dataLink) : undefined;
  symlinkSync(versioned, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), dataLink);
  for (const name of Object.keys(files)) {
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name));
  }
  if (previous) rmSync(join(dir, previous), { recursive: true, force: true });
}
