// spec.podTemplate at admission (rule V11): only the fields the controller merges into the etcd pods, with the
// shapes it can apply, so nothing is accepted and then applied to nothing. The deep shapes too, as
// Kubernetes checks when it creates a pod, here at admission: Kubernetes 1.20 does not check a StatefulSet's pod
// template that deeply, so a bad one would be accepted and the first member restarted would get no pod. Pure.
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
/** A DNS subdomain (RFC 1123): the names of PriorityClasses and StorageClasses. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

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
    else out.push(...unknownKeys('spec.podTemplate.spec.affinity', spec.affinity, AFFINITY_KINDS), ...affinityProblems(spec.affinity));
  }
  if (spec.nodeSelector !== undefined) out.push(...labelMapProblems('spec.podTemplate.spec.nodeSelector', spec.nodeSelector));
  for (const list of ['tolerations', 'topologySpreadConstraints'] as const) {
    const v = spec[list];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every(isPlainObject)) {
      out.push(`spec.podTemplate.spec.${list} must be a list of objects`);
      continue;
    }
    v.forEach((item, i) => out.push(...(list === 'tolerations' ? tolerationProblems : spreadProblems)(`spec.podTemplate.spec.${list}[${i}]`, item)));
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

// The shapes below are those Kubernetes checks when it creates a pod. A StatefulSet's template is not checked
// so deeply (Kubernetes 1.20 validates its labels and annotations only), so a bad one would be accepted there,
// and the first member the rollout restarts would get no pod.

const oneOf = (path: string, v: unknown, allowed: string[]) =>
  (typeof v === 'string' && allowed.includes(v) ? [] : [`${path} is ${JSON.stringify(v)}: it must be one of ${allowed.join(', ')}`]);

function labelMapProblems(path: string, m: unknown): string[] {
  if (!isStringMap(m)) return [`${path} must map label keys to string values`];
  return Object.entries(m).flatMap(([k, v]) => [
    ...(KEY.test(k) ? [] : [`${path} key "${k}" is not a label key`]),
    ...(LABEL_VALUE.test(v) ? [] : [`${path}["${k}"] value "${v}" is not a label value`]),
  ]);
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function tolerationProblems(path: string, t: Record<string, unknown>): string[] {
  const out = unknownKeys(path, t, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
  const op = t.operator ?? 'Equal';
  out.push(...oneOf(`${path}.operator`, op, ['Equal', 'Exists']));
  if (t.key !== undefined && (typeof t.key !== 'string' || (t.key !== '' && !KEY.test(t.key)))) out.push(`${path}.key ${JSON.stringify(t.key)} is not a label key`);
  if ((t.key === undefined || t.key === '') && op !== 'Exists') out.push(`${path}: a toleration without a key must have operator Exists`);
  if (op === 'Exists' && t.value !== undefined && t.value !== '') out.push(`${path}: with operator Exists the value must be empty`);
  if (t.value !== undefined && typeof t.value !== 'string') out.push(`${path}.value must be a string`);
  if (t.effect !== undefined && t.effect !== '') out.push(...oneOf(`${path}.effect`, t.effect, TAINT_EFFECTS));
  if (t.tolerationSeconds !== undefined) {
    if (!Number.isInteger(t.tolerationSeconds)) out.push(`${path}.tolerationSeconds must be a whole number of seconds`);
    else if (t.effect !== 'NoExecute') out.push(`${path}: tolerationSeconds applies only with effect NoExecute`);
  }
  return out;
}

function selectorProblems(path: string, sel: unknown): string[] {
  if (sel === undefined || sel === null) return [];
  if (!isPlainObject(sel)) return [`${path} must be a label selector (matchLabels, matchExpressions)`];
  const out = unknownKeys(path, sel, ['matchLabels', 'matchExpressions']);
  if (sel.matchLabels !== undefined) out.push(...labelMapProblems(`${path}.matchLabels`, sel.matchLabels));
  out.push(...expressionProblems(`${path}.matchExpressions`, sel.matchExpressions, ['In', 'NotIn', 'Exists', 'DoesNotExist']));
  return out;
}

function expressionProblems(path: string, list: unknown, operators: string[]): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every(isPlainObject)) return [`${path} must be a list of {key, operator, values}`];
  return list.flatMap((e, i) => {
    const at = `${path}[${i}]`;
    const out = [...unknownKeys(at, e, ['key', 'operator', 'values']), ...oneOf(`${at}.operator`, e.operator, operators)];
    if (typeof e.key !== 'string' || !KEY.test(e.key)) out.push(`${at}.key ${JSON.stringify(e.key)} is not a label key`);
    const values = e.values ?? [];
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) out.push(`${at}.values must be a list of strings`);
    else if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) out.push(`${at}: operator ${String(e.operator)} needs at least one value`);
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) out.push(`${at}: operator ${String(e.operator)} takes no values`);
    else if ((e.operator === 'Gt' || e.operator === 'Lt') && (values.length !== 1 || !/^-?[0-9]+$/.test(values[0] as string))) out.push(`${at}: operator ${String(e.operator)} takes one whole number`);
    return out;
  });
}

const NODE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

function nodeTermProblems(path: string, term: unknown): string[] {
  if (!isPlainObject(term)) return [`${path} must be a node selector term (matchExpressions, matchFields)`];
  return [
    ...unknownKeys(path, term, ['matchExpressions', 'matchFields']),
    ...expressionProblems(`${path}.matchExpressions`, term.matchExpressions, NODE_OPERATORS),
    ...expressionProblems(`${path}.matchFields`, term.matchFields, ['In', 'NotIn']),
  ];
}

function weighted(path: string, list: unknown, item: string, check: (p: string, v: unknown) => string[]): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every(isPlainObject)) return [`${path} must be a list of {weight, ${item}}`];
  return list.flatMap((w, i) => {
    const at = `${path}[${i}]`;
    const weightOk = Number.isInteger(w.weight) && (w.weight as number) >= 1 && (w.weight as number) <= 100;
    return [...unknownKeys(at, w, ['weight', item]), ...(weightOk ? [] : [`${at}.weight must be a whole number from 1 to 100`]), ...check(`${at}.${item}`, w[item])];
  });
}

function podTermProblems(path: string, term: unknown): string[] {
  if (!isPlainObject(term)) return [`${path} must be a pod affinity term (labelSelector, namespaces, topologyKey)`];
  const out = [...unknownKeys(path, term, ['labelSelector', 'namespaces', 'topologyKey']), ...selectorProblems(`${path}.labelSelector`, term.labelSelector)];
  if (typeof term.topologyKey !== 'string' || !KEY.test(term.topologyKey)) out.push(`${path}.topologyKey ${JSON.stringify(term.topologyKey)} must be a node label key (e.g. kubernetes.io/hostname)`);
  if (term.namespaces !== undefined && (!Array.isArray(term.namespaces) || !term.namespaces.every((n) => typeof n === 'string'))) out.push(`${path}.namespaces must be a list of namespace names`);
  return out;
}

const REQUIRED = 'requiredDuringSchedulingIgnoredDuringExecution';
const PREFERRED = 'preferredDuringSchedulingIgnoredDuringExecution';

function affinityProblems(a: Record<string, unknown>): string[] {
  const out: string[] = [];
  const base = 'spec.podTemplate.spec.affinity';
  const node = a.nodeAffinity;
  if (node !== undefined) {
    if (!isPlainObject(node)) out.push(`${base}.nodeAffinity must be an object`);
    else {
      out.push(...unknownKeys(`${base}.nodeAffinity`, node, [REQUIRED, PREFERRED]));
      const req = node[REQUIRED];
      if (req !== undefined) {
        const terms = isPlainObject(req) ? req.nodeSelectorTerms : undefined;
        if (!Array.isArray(terms) || terms.length === 0) out.push(`${base}.nodeAffinity.${REQUIRED}.nodeSelectorTerms must be a list of at least one term`);
        else terms.forEach((t, i) => out.push(...nodeTermProblems(`${base}.nodeAffinity.${REQUIRED}.nodeSelectorTerms[${i}]`, t)));
      }
      out.push(...weighted(`${base}.nodeAffinity.${PREFERRED}`, node[PREFERRED], 'preference', nodeTermProblems));
    }
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[kind];
    if (pa === undefined) continue;
    if (!isPlainObject(pa)) {
      out.push(`${base}.${kind} must be an object`);
      continue;
    }
    out.push(...unknownKeys(`${base}.${kind}`, pa, [REQUIRED, PREFERRED]));
    const req = pa[REQUIRED];
    if (req !== undefined) {
      if (!Array.isArray(req)) out.push(`${base}.${kind}.${REQUIRED} must be a list of pod affinity terms`);
      else req.forEach((t, i) => out.push(...podTermProblems(`${base}.${kind}.${REQUIRED}[${i}]`, t)));
    }
    out.push(...weighted(`${base}.${kind}.${PREFERRED}`, pa[PREFERRED], 'podAffinityTerm', podTermProblems));
  }
  return out;
}

function spreadProblems(path: string, c: Record<string, unknown>): string[] {
  const out = [...unknownKeys(path, c, ['maxSkew', 'topologyKey', 'whenUnsatisfiable', 'labelSelector']), ...oneOf(`${path}.whenUnsatisfiable`, c.whenUnsatisfiable, ['DoNotSchedule', 'ScheduleAnyway'])];
  if (!Number.isInteger(c.maxSkew) || (c.maxSkew as number) < 1) out.push(`${path}.maxSkew must be a whole number of at least 1`);
  if (typeof c.topologyKey !== 'string' || !KEY.test(c.topologyKey)) out.push(`${path}.topologyKey ${JSON.stringify(c.topologyKey)} must be a node label key (e.g. topology.kubernetes.io/zone)`);
  out.push(...selectorProblems(`${path}.labelSelector`, c.labelSelector));
  return out;
}
