// Serving certificate reload. cert-manager (through the kubelet) rotates the mounted Secret by swapping a
// `..data` symlink in the directory, so the directory is watched, not the files; a burst of events is
// debounced, both files are re-read and checked as a pair, and only a good pair replaces the live one.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../core/log.js';

export interface KeyPair { cert: Buffer; key: Buffer }

/** Reads and checks a certificate/key pair; throws with the reason when they are unusable together. */
export async function loadKeyPair(certFile: string, keyFile: string): Promise<KeyPair & { notAfter: string }> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${keyFile} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`${keyFile} does not match the certificate in ${certFile}`);
  createSecureContext({ cert, key });
  return { cert, key, notAfter: x509.validTo };
}

export interface TlsReloaderOptions {
  certFile: string;
  keyFile: string;
  /** Called with each new good pair (the server's setSecureContext). */
  apply(pair: KeyPair): void;
  onResult?(result: 'loaded' | 'rejected'): void;
  log: Logger;
  debounceMs?: number;
  /** Re-check this often even without events (watches can miss changes on some mounts). */
  pollMs?: number;
}

export class TlsReloader {
  private watchers: FSWatcher[] = [];
  private debounce?: NodeJS.Timeout;
  private poll?: NodeJS.Timeout;
  private current?: KeyPair;
  private reloading: Promise<void> = Promise.resolve();

  constructor(private readonly opts: TlsReloaderOptions) {}

  /** Loads the first pair; throws when it is unusable (the server cannot start without one). */
  async start(): Promise<KeyPair> {
    const { certFile, keyFile } = this.opts;
    this.current = await loadKeyPair(certFile, keyFile);
    for (const dir of new Set([dirname(certFile), dirname(keyFile)])) {
      const w = watch(dir, () => this.schedule());
      w.on('error', (err) => this.opts.log.warn({ dir, err: err.message }, 'certificate directory watch failed; relying on polling'));
      this.watchers.push(w);
    }
    this.poll = setInterval(() => this.schedule(), this.opts.pollMs ?? 60_000);
    this.poll.unref();
    return this.current;
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    clearTimeout(this.debounce);
    clearInterval(this.poll);
  }

  /** Resolves when any reload already scheduled or running has finished (tests wait on it). */
  settled(): Promise<void> {
    return this.reloading;
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => { this.reloading = this.reloading.then(() => this.reload()); }, this.opts.debounceMs ?? 200);
  }

  private async reload(): Promise<void> {
    const { certFile, keyFile, log } = this.opts;
    let pair: KeyPair & { notAfter: string };
    try {
      pair = await loadKeyPair(certFile, keyFile);
    } catch (err) {
      // Mid-rotation reads can see a new certificate with the old key: keep serving the old pair; the
      // next event (or poll) retries.
      log.warn({ err: (err as Error).message }, 'new certificate/key pair rejected; still serving the previous one');
      this.opts.onResult?.('rejected');
      return;
    }
    if (this.current && pair.cert.equals(this.current.cert) && pair.key.equals(this.current.key)) return;
    this.opts.apply(pair);
    this.current = pair;
    this.opts.onResult?.('loaded');
    log.info({ notAfter: pair.notAfter }, 'serving certificate reloaded');
  }
}
