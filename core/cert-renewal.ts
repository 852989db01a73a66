// When a certificate the operator made must be made again, and what a PEM certificate says. Pure (parsing
// only, no I/O): the controller reads Secrets, this decides. Renewal at 2/3 of the lifetime matches the
// cert-manager path (duration 2160h, renewBefore 720h), so both paths renew at the same point.
import { X509Certificate } from 'node:crypto';

export interface CertificateFacts {
  /** Upper-case hex, as Node prints it (no leading zeros). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
  /** True when the certificate is a CA (basicConstraints CA:TRUE). */
  isCa: boolean;
}

/** The first certificate of a PEM bundle. Throws on anything that is not a certificate. */
export function parseCertificate(pem: string | Buffer): CertificateFacts {
  const cert = new X509Certificate(pem);
  const sans = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  const named = (prefix: string) => sans.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
  return {
    serial: cert.serialNumber.toUpperCase(),
    notBefore: cert.validFromDate,
    notAfter: cert.validToDate,
    dnsNames: named('DNS:'),
    ipAddresses: named('IP Address:'),
    isCa: cert.ca,
  };
}

/** The moment from which a certificate is due for renewal: 2/3 of the way from notBefore to notAfter. */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  const life = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + Math.floor((life * 2) / 3));
}

/** True once 2/3 of the lifetime has passed (an expired certificate included). */
export function renewalDue(notBefore: Date, notAfter: Date, now: Date): boolean {
  return now.getTime() >= renewalTime(notBefore, notAfter).getTime();
}
