// spec.podTemplate at admission (rule V11): only the fields the controller merges into the etcd pods, with the
// shapes it can apply, so nothing is accepted and then applied to nothing. The API server checks the deep
// Kubernetes shapes (an affinity term, a toleration) when the controller writes the StatefulSet; a refusal
// there is reported on the EtcdCluster (condition Degraded, Event StepFailed). Pure.
import { isPlainObject } from './admission-review.js';
import { ANNOTATION_PREFIX } from './api.js';
import { quantityValue } from './quantity.js';

/** The pod spec fields the controller merges, in the order SPEC.md lists them. */
export const MERGED_SPEC_FIELDS = ['resources', 'affinity', 'nodeSelector', 'tolerations', 'priorityClassName', 'topologySpreadConstraints'] as const;
/** Labels the controller sets on every pod (selectors and the client Service depend on them). */
export const OWN_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by'];

const AFFINITY_KINDS = ['nodeAffinity', 'podAffinity', 'podAntiAffinity'];
const RESOURCE_NAME = /^(cpu|memory|ephemeral-storage|hugepages-[0-9]+(Ki|Mi|Gi)?)$/;
/** A label or annotation key: an optional DNS-subdomain prefix, then a name of at most 63 characters. */
const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const isStringMap = (v: unknown): v is Record<string, string> => isPlainObject(v) && Object.values(v).every((x) => typeof x === 'string');

/** Every problem of spec.podTemplate (V11); empty when the controller can merge all of it. */
export function podTemplateProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw)) return ['spec.podTemplate must be an object with metadata and spec'];
  const out = unknownKeys('spec.podTemplate', raw, ['metadata', 'spec']);
  if (raw.metadata !== undefined) out.push(...metadataProblems(raw.metadata));
  if (raw.spec !== undefined) out.push(...specProblems(raw.spec));
  return out;
}

function unknownKeys(path: string, obj: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k))
    .map((k) => `${path}.${k} is not merged into the etcd pods (${path} takes ${allowed.join(', ')})`);
}

function metadataProblems(meta: unknown): string[] {
  if (!isPlainObject(meta)) return ['spec.podTemplate.metadata must be an object with labels and annotations'];
  const out = unknownKeys('spec.podTemplate.metadata', meta, ['labels', 'annotations']);
  for (const which of ['labels', 'annotations'] as const) {
    const m = meta[which];
    if (m === undefined) continue;
    const path = `spec.podTemplate.metadata.${which}`;
    if (!isStringMap(m)) {
      out.push(`${path} must map keys to string values`);
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (!KEY.test(k)) out.push(`${path} key "${k}" is not a valid key (an optional DNS prefix and "/", then at most 63 letters, digits, '-', '_' or '.')`);
      else if (k.startsWith(ANNOTATION_PREFIX) || OWN_LABELS.includes(k)) out.push(`${path} key "${k}" is the operator's own (keys under ${ANNOTATION_PREFIX} and ${OWN_LABELS.join(', ')} are set by the controller); choose another key`);
      if (which === 'labels' && !LABEL_VALUE.test(v)) out.push(`${path}["${k}"] value "${v}" is not a label value (at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)`);
    }
  }
  return out;
}

function specProblems(spec: unknown): string[] {
  if (!isPlainObject(spec)) return ['spec.podTemplate.spec must be an object'];
  const out = unknownKeys('spec.podTemplate.spec', spec, MERGED_SPEC_FIELDS);
  if (spec.resources !== undefined) out.push(...resourceProblems(spec.resources));
  if (spec.affinity !== undefined) {
    if (!isPlainObject(spec.affinity)) out.push('spec.podTemplate.spec.affinity must be an object');
    else out.push(...unknownKeys('spec.podTemplate.spec.affinity', spec.affinity, AFFINITY_KINDS));
  }
  if (spec.nodeSelector !== undefined && !isStringMap(spec.nodeSelector)) out.push('spec.podTemplate.spec.nodeSelector must map label keys to string values');
  for (const list of ['tolerations', 'topologySpreadConstraints'] as const) {
    const v = spec[list];
    if (v !== undefined && (!Array.isArray(v) || !v.every(isPlainObject))) out.push(`spec.podTemplate.spec.${list} must be a list of objects`);
  }
  const pc = spec.priorityClassName;
  if (pc !== undefined && (typeof pc !== 'string' || !DNS_SUBDOMAIN.test(pc))) out.push(`spec.podTemplate.spec.priorityClassName ${JSON.stringify(pc)} is not a PriorityClass name (a DNS subdomain)`);
  return out;
}

function resourceProblems(res: unknown): string[] {
  const path = 'spec.podTemplate.spec.resources';
  if (!isPlainObject(res)) return [`${path} must be an object with requests and limits`];
  const out = unknownKeys(path, res, ['requests', 'limits']);
  const values: Record<string, Record<string, number>> = {};
  for (const which of ['requests', 'limits'] as const) {
    const m = res[which];
    if (m === undefined) continue;
    if (!isPlainObject(m)) {
      out.push(`${path}.${which} must map resource names to quantities`);
      continue;
    }
    values[which] = {};
    for (const [name, q] of Object.entries(m)) {
      const v = typeof q === 'string' ? quantityValue(q) : typeof q === 'number' ? q : undefined;
      if (!RESOURCE_NAME.test(name)) out.push(`${path}.${which}.${name} is not a container resource (cpu, memory, ephemeral-storage, hugepages-SIZE)`);
      else if (v === undefined || v < 0) out.push(`${path}.${which}.${name} is ${JSON.stringify(q)}, not a quantity (e.g. "500m" cpu, "1Gi" memory)`);
      else values[which][name] = v;
    }
  }
  for (const [name, req] of Object.entries(values.requests ?? {})) {
    const lim = values.limits?.[name];
    if (lim !== undefined && req > lim) {
      out.push(`${path}: the ${name} request (${String((res.requests as Record<string, unknown>)[name])}) is above its limit (${String((res.limits as Record<string, unknown>)[name])}); a pod cannot request more than it may use`);
    }
  }
  return out;
}
