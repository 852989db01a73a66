// Certificates made by the operator itself when no cert-manager issuer is named: a CA per cluster (kept in
// Secret NAME-ca) that signs the members' certificate and the controller's client certificate. ECDSA P-256
// through WebCrypto (the image has no openssl). No I/O: the caller stores the PEM text in Secrets.
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata polyfill
// loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes } from 'node:crypto';
import {
  CA_VALIDITY_DAYS,
  LEAF_VALIDITY_DAYS,
  MEMBER_IP_ADDRESSES,
  memberCommonName,
  memberDnsNames,
  type CaPem,
  type ClusterIdentity,
  type IssuedPem,
} from '../core/tls-objects.js';

// Node's global WebCrypto (the types are the DOM's, as @peculiar/x509 expects).
const webcrypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** notBefore is set a little back so a node whose clock runs behind the controller's accepts a fresh certificate. */
const BACKDATE_MS = 5 * 60_000;

const generateKeys = () => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);

/** 16 random bytes, high bit clear: a positive serial, unique per certificate (RFC 5280 allows up to 20). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return bytes.toString('hex');
}

/** PEM text ends with a newline (the library's does not): bundles made by concatenation stay valid. */
const terminated = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);

async function keyPem(key: CryptoKey): Promise<string> {
  return terminated(x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY'));
}

function validity(now: Date, validityDays: number) {
  return { notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter: new Date(now.getTime() + validityDays * DAY_MS) };
}

export async function makeCa(commonName: string, now: Date, validityDays = CA_VALIDITY_DAYS): Promise<CaPem> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: new x509.Name([{ CN: [commonName] }]),
    ...validity(now, validityDays),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: terminated(cert.toString('pem')), keyPem: await keyPem(keys.privateKey) };
}

interface LeafSpec {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  usages: x509.ExtendedKeyUsage[];
}

async function issue(ca: CaPem, spec: LeafSpec, now: Date, validityDays: number): Promise<IssuedPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(ca.keyPem), ALG, false, ['sign']);
  const keys = await generateKeys();
  const names = [...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: new x509.Name([{ CN: [spec.commonName] }]),
    issuer: caCert.subjectName,
    ...validity(now, validityDays),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(spec.usages),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: terminated(cert.toString('pem')), keyPem: await keyPem(keys.privateKey), caPem: ca.certPem };
}

/** The one certificate every member serves clients and peers with, and presents to peers as a client. */
export function issueMember(ca: CaPem, id: ClusterIdentity, now: Date, validityDays = LEAF_VALIDITY_DAYS): Promise<IssuedPem> {
  return issue(
    ca,
    {
      commonName: memberCommonName(id),
      dnsNames: memberDnsNames(id),
      ipAddresses: MEMBER_IP_ADDRESSES,
      usages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    },
    now,
    validityDays,
  );
}

/** A client certificate (the controller's): no names, clientAuth only. */
export function issueClient(ca: CaPem, commonName: string, now: Date, validityDays = LEAF_VALIDITY_DAYS): Promise<IssuedPem> {
  return issue(ca, { commonName, usages: [x509.ExtendedKeyUsage.clientAuth] }, now, validityDays);
}
