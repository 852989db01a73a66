// admission.k8s.io/v1 AdmissionReview: the envelope checks every webhook endpoint shares, kept pure so that
// "what is a valid review" is testable without a server.

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export interface GroupVersionKind { group?: string; version?: string; kind?: string }
export interface GroupVersionResource { group?: string; version?: string; resource?: string }

/** The request as the API server sends it; everything past the envelope is untrusted and typed unknown. */
export interface AdmissionRequest {
  uid: string;
  kind?: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation?: string;
  userInfo?: unknown;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: unknown;
}

export interface AdmissionStatus { code: number; reason?: string; message: string }

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  patchType?: 'JSONPatch';
  /** base64 of the JSONPatch */
  patch?: string;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: AdmissionResponse;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; reason: string };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of plain-object keys; undefined as soon as anything on the way is not an object. */
export function field(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (!isPlainObject(v)) return undefined;
    v = v[key];
  }
  return v;
}

export function stringField(value: unknown, ...path: string[]): string | undefined {
  const v = field(value, ...path);
  return typeof v === 'string' ? v : undefined;
}

/** Checks the envelope only (apiVersion, kind, request.uid); the processors check the rest defensively. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isPlainObject(body)) return { ok: false, reason: 'body is not a JSON object; expected an admission.k8s.io/v1 AdmissionReview' };
  if (body.apiVersion !== ADMISSION_API_VERSION || body.kind !== ADMISSION_KIND) {
    return {
      ok: false,
      reason: `expected apiVersion ${ADMISSION_API_VERSION} and kind ${ADMISSION_KIND}, got ` +
        `${clip(body.apiVersion)} ${clip(body.kind)} (register the webhook with admissionReviewVersions: [v1])`,
    };
  }
  const request = body.request;
  if (!isPlainObject(request)) return { ok: false, reason: 'AdmissionReview has no request object' };
  if (typeof request.uid !== 'string' || request.uid === '') return { ok: false, reason: 'AdmissionReview request has no uid' };
  return {
    ok: true,
    request: {
      uid: request.uid,
      kind: gvk(request.kind),
      resource: gvr(request.resource),
      subResource: stringField(request, 'subResource'),
      name: stringField(request, 'name'),
      namespace: stringField(request, 'namespace'),
      operation: stringField(request, 'operation'),
      userInfo: request.userInfo,
      object: request.object,
      oldObject: request.oldObject,
      dryRun: request.dryRun,
    },
  };
}

export function reviewResponse(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

function gvk(v: unknown): GroupVersionKind {
  return { group: stringField(v, 'group'), version: stringField(v, 'version'), kind: stringField(v, 'kind') };
}

function gvr(v: unknown): GroupVersionResource {
  return { group: stringField(v, 'group'), version: stringField(v, 'version'), resource: stringField(v, 'resource') };
}

function clip(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = typeof v === 'string' ? JSON.stringify(v) : typeof v;
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
