// When a certificate is due for renewal, and what the parser reads from one.
import { issueMember, makeCa } from '../../controller/certificates.js';
import { parseCertificate, renewalDue, renewalTime } from '../../core/cert-renewal.js';

const DAY = 86_400_000;
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 90 * DAY);
const at = (days: number) => new Date(notBefore.getTime() + days * DAY);

describe('renewalDue', () => {
  it('not before 2/3 of the lifetime (day 60 of 90)', () => {
    expect(renewalTime(notBefore, notAfter)).toEqual(at(60));
    expect(renewalDue(notBefore, notAfter, at(0))).toBe(false);
    expect(renewalDue(notBefore, notAfter, new Date(at(60).getTime() - 1))).toBe(false);
  });
  it('from 2/3 of the lifetime on, expired included', () => {
    expect(renewalDue(notBefore, notAfter, at(60))).toBe(true);
    expect(renewalDue(notBefore, notAfter, at(89))).toBe(true);
    expect(renewalDue(notBefore, notAfter, at(365))).toBe(true);
  });
  it('a certificate not yet valid is not renewed (a clock behind, not an old certificate)', () => {
    expect(renewalDue(notBefore, notAfter, at(-1))).toBe(false);
  });
});

describe('parseCertificate', () => {
  it('serial, validity and names of an issued certificate', async () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const ca = await makeCa('ca', now);
    const m = await issueMember(ca, { cluster: 'a', namespace: 'b' }, now);
    const facts = parseCertificate(m.certPem);
    expect(facts.serial).toMatch(/^[0-9A-F]{30,32}$/);
    expect(facts.notAfter).toEqual(new Date(now.getTime() + 90 * DAY));
    expect(facts.notBefore.getTime()).toBeLessThan(now.getTime());
    expect(facts.dnsNames).toContain('*.a.b.svc');
    expect(facts.ipAddresses).toEqual(['127.0.0.1']);
    expect(facts.isCa).toBe(false);
    expect(parseCertificate(ca.certPem).isCa).toBe(true);
    // The renewal point of an issued certificate is 60 days on (its start is set back a few minutes).
    expect(renewalDue(facts.notBefore, facts.notAfter, new Date(now.getTime() + 59 * DAY))).toBe(false);
    expect(renewalDue(facts.notBefore, facts.notAfter, new Date(now.getTime() + 60 * DAY))).toBe(true);
  });
  it('throws on what is not a certificate', () => {
    expect(() => parseCertificate('not a certificate')).toThrow();
  });
});
