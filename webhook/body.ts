// Reads an admission request body: JSON only, bounded in size, every failure a 4xx with a reason.
// (Lean on purpose: the admission path is latency-critical, and this is all of body parsing it needs.)
import type { IncomingMessage } from 'node:http';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export type BodyResult = { ok: true; body: unknown } | { ok: false; status: number; reason: string };

export function readJsonBody(req: IncomingMessage, limit: number = DEFAULT_BODY_LIMIT): Promise<BodyResult> {
  const type = req.headers['content-type'];
  // Without a Content-Type the body is read as JSON all the same; any other type is refused.
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    return Promise.resolve({ ok: false, status: 415, reason: `Content-Type ${type} is not supported: send application/json` });
  }
  const tooLarge = { ok: false as const, status: 413, reason: `request body exceeds the limit of ${limit} bytes` };
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped (the answer waits for the end of the request).
      if (size <= limit) chunks.push(chunk);
    });
    req.on('error', (err) => resolve({ ok: false, status: 400, reason: `request body could not be read: ${err.message}` }));
    req.on('end', () => {
      if (size > limit) return resolve(tooLarge);
      if (size === 0) return resolve({ ok: true, body: undefined });
      try {
        resolve({ ok: true, body: JSON.parse(Buffer.concat(chunks, size).toString('utf8')) });
      } catch (err) {
        resolve({ ok: false, status: 400, reason: `body is not valid JSON: ${(err as Error).message}; expected an admission.k8s.io/v1 AdmissionReview` });
      }
    });
  });
}
