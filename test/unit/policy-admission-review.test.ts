import { field, parseAdmissionReview, reviewResponse } from '../../core/admission-review.js';

const review = (request: unknown, more: Record<string, unknown> = {}) =>
  ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...more });

describe('parseAdmissionReview', () => {
  it('accepts a v1 review with a request uid and keeps the request fields', () => {
    const parsed = parseAdmissionReview(review({
      uid: 'u1', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, resource: { resource: 'etcdclusters' },
      subResource: 'scale', name: 'demo', namespace: 'ns', operation: 'UPDATE', object: { spec: { replicas: 5 } }, dryRun: true,
    }));
    expect(parsed).toEqual({
      ok: true,
      request: expect.objectContaining({
        uid: 'u1', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, subResource: 'scale',
        name: 'demo', namespace: 'ns', operation: 'UPDATE', object: { spec: { replicas: 5 } }, dryRun: true,
      }),
    });
  });

  it.each([
    ['a string', 'hello', /not a JSON object/],
    ['an array', [1, 2], /not a JSON object/],
    ['null', null, /not a JSON object/],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }, /admission\.k8s\.io\/v1 .*got "admission\.k8s\.io\/v1beta1"/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: { uid: 'x' } }, /kind AdmissionReview, got .* "Pod"/],
    ['no request', review(undefined), /no request object/],
    ['request not an object', review('x'), /no request object/],
    ['no uid', review({ operation: 'CREATE' }), /no uid/],
    ['empty uid', review({ uid: '' }), /no uid/],
    ['numeric uid', review({ uid: 7 }), /no uid/],
  ])('rejects %s with a reason', (_name, body, reason) => {
    const parsed = parseAdmissionReview(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('drops request fields of the wrong type instead of passing them on', () => {
    const parsed = parseAdmissionReview(review({ uid: 'u', name: 5, operation: ['CREATE'], kind: 'Scale', subResource: {} }));
    expect(parsed.ok && parsed.request).toEqual(expect.objectContaining({ uid: 'u', name: undefined, operation: undefined, subResource: undefined, kind: { group: undefined, version: undefined, kind: undefined } }));
  });
});

describe('field', () => {
  it('walks plain objects only', () => {
    expect(field({ a: { b: 3 } }, 'a', 'b')).toBe(3);
    expect(field({ a: [{ b: 3 }] }, 'a', 'b')).toBeUndefined();
    expect(field({ a: 'str' }, 'a', 'length')).toBeUndefined();
    expect(field(null, 'a')).toBeUndefined();
  });
});

describe('reviewResponse', () => {
  it('wraps a response in a v1 AdmissionReview', () => {
    expect(reviewResponse({ uid: 'u', allowed: true })).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } });
  });
});
