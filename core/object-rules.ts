// Admission rules about the object itself rather than its size (SPEC.md, "Bad input at admission"): a name
// that can become every object the controller makes (V6), and spec fields the controller applies only when it
// creates the cluster (V7). Pure; never bypassed by force-resize.
import { isPlainObject } from './admission-review.js';
import { DEFAULT_ETCD_VERSION } from './api.js';

export interface ObjectFinding {
  rule: 'V6' | 'V7';
  message: string;
}

/** A label value, and a DNS label (pod hostnames, Service names), hold at most 63 characters. */
export const LABEL_VALUE_MAX = 63;
/**
 * The StatefulSet labels every pod controller-revision-hash=NAME-<hash>, the hash a 32-bit number written in
 * at most 10 characters: the tightest of the limits (the pod hostname NAME-8 and Service NAME-client fit
 * in it), so the longest name is 63 - 1 - 10 = 52.
 */
export const REVISION_HASH_MAX = 10;
export const MAX_NAME_LENGTH = LABEL_VALUE_MAX - 1 - REVISION_HASH_MAX;
/** DNS-1035 label: Service names (NAME, NAME-client) must be one. */
export const NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const NAME_RULE = `a name must be a DNS-1035 label (a lower-case letter first, then lower-case letters, digits or '-', ` +
  `ending with a letter or digit) of at most ${MAX_NAME_LENGTH} characters (each pod is labelled ` +
  `controller-revision-hash=NAME-<hash of up to ${REVISION_HASH_MAX} characters>, and a label value holds at most ${LABEL_VALUE_MAX})`;

/** V6 on CREATE; a name still to be generated (generateName) is checked by the schema once it exists. */
export function checkName(name: string | undefined): ObjectFinding | undefined {
  if (!name) return undefined;
  const problem = name.length > MAX_NAME_LENGTH
    ? `it is ${name.length} characters, ${name.length - MAX_NAME_LENGTH} more than the ${MAX_NAME_LENGTH} that fit`
    : NAME_PATTERN.test(name) ? undefined : namePatternProblem(name);
  if (!problem) return undefined;
  const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
  return {
    rule: 'V6',
    message: `V6: the name "${shown}" cannot become the pods, Services and labels of an etcd cluster: ${problem}. ` +
      `${NAME_RULE[0].toUpperCase()}${NAME_RULE.slice(1)}. Choose another name.`,
  };
}

function namePatternProblem(name: string): string {
  if (!/^[a-z]/.test(name)) return `it starts with ${JSON.stringify(name[0])}, not a lower-case letter`;
  const bad = [...name].find((ch) => !/[-a-z0-9]/.test(ch));
  if (bad !== undefined) return `it contains ${JSON.stringify(bad)}`;
  return 'it ends with \'-\'';
}

/** Fields as the controller would use them, so that spelling a default out is not a change. */
function effectiveStorage(storage: unknown): { size: number | string; storageClassName: string; emptyDir: boolean } {
  const s = isPlainObject(storage) ? storage : {};
  const size = typeof s.size === 'string' ? s.size : '1Gi';
  return { size: quantityBytes(size) ?? size, storageClassName: typeof s.storageClassName === 'string' ? s.storageClassName : '', emptyDir: s.emptyDir === true };
}

function describeStorage(storage: unknown): string {
  const s = isPlainObject(storage) ? storage : {};
  if (s.emptyDir === true) return 'emptyDir';
  const parts = [`size ${typeof s.size === 'string' ? s.size : '1Gi'}`];
  if (typeof s.storageClassName === 'string') parts.push(`storageClassName ${s.storageClassName}`);
  return parts.join(', ');
}

const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** A Kubernetes quantity in the forms the schema allows ("1Gi", "1024Mi", "5G"), in bytes. */
function quantityBytes(q: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(q);
  return m ? Number(m[1]) * UNITS[m[2] ?? ''] : undefined;
}

/** spec.version as the controller reads it: the default when absent. */
export function versionOf(spec: unknown): string {
  const s = isPlainObject(spec) ? spec : {};
  return typeof s.version === 'string' ? s.version : DEFAULT_ETCD_VERSION;
}

/**
 * V7 on UPDATE: storage is read once, when the StatefulSet (whose volume claim template cannot change) is
 * created: a change would be accepted and applied to nothing, so it is denied with what to do instead.
 * (A version change is rolled out: rule V10, core/version-policy.ts.)
 */
export function checkSpecChange(cluster: string, oldSpec: unknown, newSpec: unknown): ObjectFinding | undefined {
  const o = isPlainObject(oldSpec) ? oldSpec : {};
  const n = isPlainObject(newSpec) ? newSpec : {};
  if (JSON.stringify(effectiveStorage(o.storage)) !== JSON.stringify(effectiveStorage(n.storage))) {
    return {
      rule: 'V7',
      message: `V7: spec.storage of ${cluster} cannot change (from ${describeStorage(o.storage)} to ${describeStorage(n.storage)}): ` +
        `each member's volume is made from it when the cluster is created, and a StatefulSet's volume claim template cannot change, ` +
        `so the change would apply to nothing. Keep spec.storage as it is; for other storage, create a new EtcdCluster with it and ` +
        `move the data (etcdctl snapshot save, then restore into the new cluster), or expand the PVCs ` +
        `data-${cluster}-K yourself if their StorageClass allows volume expansion.`,
    };
  }
  return undefined;
}
