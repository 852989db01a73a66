// The admission policy for resizes (SPEC.md, "Admission policy"): pure, shared by the webhook and the
// plugin's preflight so both give the same verdict and the same words.
import { Annotations, DEFAULT_MAX_SIZE, MIN_SIZE, type EtcdClusterStatus, type MemberStatus } from './api.js';
import { findCondition } from './conditions.js';
import { byOrdinal, healthyVoting, isFormed, ordinalOf, quorum, voting } from './quorum.js';

export type RuleId = 'V1' | 'V2' | 'V3' | 'V4' | 'V5';

export interface ResizeRequest {
  operation: 'CREATE' | 'UPDATE';
  /** undefined on CREATE */
  oldSize?: number;
  /** Raw value from the request; V1 validates it. */
  newSize: unknown;
  /** The OLD object's status (for /scale: the EtcdCluster's status). */
  status?: EtcdClusterStatus;
  /** The old object's metadata.generation. */
  generation?: number;
  /** Annotation force-resize == "true" (on the new object). */
  forceResize?: boolean;
  /** Default DEFAULT_MAX_SIZE (7). */
  maxSize?: number;
  /** The EtcdCluster's name, so messages can name the exact `kubectl etcd status NAME` to run. */
  name?: string;
}

export interface PolicyVerdict {
  allowed: boolean;
  /** The rule that denied. */
  rule?: RuleId;
  /** Denial: names the rule, the numbers, what to do next. */
  message?: string;
  /** W1..W3 texts, each starting with its id, e.g. "W1: ...". */
  warnings: string[];
  /** Rules force-resize bypassed (W3 names them). */
  bypassed: RuleId[];
}

const FORCE_HINT = `as a last resort, annotate ${Annotations.forceResize}: "true" to bypass this check`;

/** What the rules V2..V5 are stated in, computed once per request. */
interface Facts {
  cluster: string;
  statusCmd: string;
  oldSize?: number;
  /** oldSize as text: an UPDATE of an object without spec.size has none. */
  from: string;
  newSize: number;
  status?: EtcdClusterStatus;
  generation?: number;
  current: number;
  healthy: number;
  unhealthy: MemberStatus[];
  formed: boolean;
  inProgress: boolean;
}

interface Finding {
  rule: RuleId;
  message: string;
  /** One-line reason for the W3 warning when force-resize bypasses it. */
  brief: string;
}

export function isValidSize(size: unknown, maxSize: number = DEFAULT_MAX_SIZE): size is number {
  return typeof size === 'number' && Number.isInteger(size) && size >= MIN_SIZE && size <= maxSize;
}

/** In progress: Progressing is True, or the controller has not yet observed the old object's generation. */
export function isInProgress(status: EtcdClusterStatus | undefined, generation: number | undefined): boolean {
  if (!status) return false;
  if (findCondition(status, 'Progressing')?.status === 'True') return true;
  return status.observedGeneration !== undefined && generation !== undefined && status.observedGeneration < generation;
}

export function evaluateResize(req: ResizeRequest): PolicyVerdict {
  const maxSize = req.maxSize ?? DEFAULT_MAX_SIZE;
  // An unchanged size is not a resize: even a size above a since-lowered --max-size must not lock out
  // unrelated edits (labels, version).
  if (req.operation === 'UPDATE' && req.newSize === req.oldSize) return allow([], []);

  if (!isValidSize(req.newSize, maxSize)) {
    return deny('V1', `V1: the requested size must be a whole number from ${MIN_SIZE} to ${maxSize}; got ${describe(req.newSize)}. ` +
      `Set spec.size (or --replicas) to a value in ${MIN_SIZE}..${maxSize}.`);
  }
  const newSize = req.newSize;
  const parityWarning = newSize % 2 === 0 ? [w1(newSize, maxSize)] : [];
  if (req.operation === 'CREATE') return allow(parityWarning, []);

  const cluster = req.name ?? 'the cluster';
  const facts: Facts = {
    cluster,
    statusCmd: `kubectl etcd status ${req.name ?? 'NAME'}`,
    oldSize: req.oldSize,
    from: String(req.oldSize ?? 'no size'),
    newSize,
    status: req.status,
    generation: req.generation,
    current: voting(req.status).length,
    healthy: healthyVoting(req.status).length,
    unhealthy: byOrdinal(voting(req.status).filter((m) => !m.healthy)),
    formed: isFormed(req.status),
    inProgress: isInProgress(req.status, req.generation),
  };
  const warnings = [...parityWarning];
  if (req.oldSize !== undefined && req.oldSize > 1 && newSize === 1) {
    warnings.push(`W2: shrinking ${cluster} from ${req.oldSize} to 1 leaves no fault tolerance: losing that member makes etcd unavailable`);
  }
  // Nothing built yet: there is no membership to protect.
  if (!facts.formed && !facts.inProgress) return allow(warnings, []);

  const findings = [checkV2, checkV3, checkV4, checkV5]
    .map((check) => check(facts))
    .filter((f): f is Finding => f !== undefined);
  if (findings.length === 0) return allow(warnings, []);
  if (!req.forceResize) return deny(findings[0].rule, findings[0].message);
  for (const f of findings) warnings.push(`W3: ${Annotations.forceResize} bypassed ${f.rule}: ${f.brief}`);
  return allow(warnings, findings.map((f) => f.rule));
}

function checkV2(f: Facts): Finding | undefined {
  const q = quorum(f.current);
  if (!f.formed || f.healthy >= q) return undefined;
  const numbers = `${f.healthy} of ${f.current} voting members healthy, quorum is ${q}`;
  return {
    rule: 'V2',
    message: `V2: cannot resize ${f.cluster} from ${f.from} to ${f.newSize}: quorum is lost (${numbers}; ` +
      `unhealthy: ${names(f.unhealthy)}), so no membership change can be done safely. ` +
      `Repair the unhealthy members first (${f.statusCmd}); ${FORCE_HINT}.`,
    brief: `quorum lost (${numbers})`,
  };
}

function checkV3(f: Facts): Finding | undefined {
  if (!f.inProgress || f.newSize === f.current) return undefined;
  const last = f.status?.lastResize;
  const from = last && last.to === f.oldSize ? ` from ${last.from}` : '';
  const learners = (f.status?.members ?? []).filter((m) => m.isLearner);
  const progress = [`${f.current} of ${f.from} voting members`];
  if (learners.length > 0) progress.push(`learner ${names(learners)} joining`);
  const step = findCondition(f.status, 'Progressing');
  if (step?.status === 'True' && step.message) progress.push(`step: ${step.message}`);
  const og = f.status?.observedGeneration;
  if (og !== undefined && f.generation !== undefined && og < f.generation) {
    progress.push(`controller has observed generation ${og} of ${f.generation}`);
  }
  const stop = f.current >= MIN_SIZE ? ` or set spec.size to ${f.current} to stop where it is` : '';
  return {
    rule: 'V3',
    message: `V3: a resize of ${f.cluster}${from} to ${f.from} is in progress (${progress.join('; ')}); ` +
      `wait for it to finish (${f.statusCmd})${stop}; ${FORCE_HINT}.`,
    brief: `a resize to ${f.from} was in progress (${f.current} voting members)`,
  };
}

function checkV4(f: Facts): Finding | undefined {
  if (!f.formed || f.oldSize === undefined || f.newSize <= f.oldSize || f.healthy >= f.current) return undefined;
  const count = `${f.current - f.healthy} of ${f.current} voting members unhealthy`;
  return {
    rule: 'V4',
    message: `V4: cannot grow ${f.cluster} from ${f.from} to ${f.newSize} while ${count} (${names(f.unhealthy)}): ` +
      `a new member would count toward quorum before it is healthy. Repair or remove ${names(f.unhealthy)} ` +
      `before adding members (${f.statusCmd}); ${FORCE_HINT}.`,
    brief: `growing with ${count} (${names(f.unhealthy)})`,
  };
}

/** Members leave from the highest ordinal down; each step k keeps ordinals 0..k-1 and must keep their quorum. */
function checkV5(f: Facts): Finding | undefined {
  if (!f.formed || f.oldSize === undefined || f.newSize >= f.oldSize) return undefined;
  const members = voting(f.status);
  for (let k = f.current - 1; k >= f.newSize; k--) {
    const kept = byOrdinal(members.filter((m) => ordinalOf(m.name) < k));
    const healthy = kept.filter((m) => m.healthy).length;
    const q = quorum(k);
    if (healthy >= q) continue;
    const broken = kept.filter((m) => !m.healthy);
    const numbers = `${healthy} healthy of the ${k} remaining, quorum is ${q}`;
    return {
      rule: 'V5',
      message: `V5: shrinking ${f.cluster} from ${f.from} to ${f.newSize} would lose quorum at step k=${k} ` +
        `(members leave from the highest ordinal down; going from ${k + 1} to ${k} members leaves ${numbers}). ` +
        `Repair ${names(broken)} first, then retry (${f.statusCmd}); ${FORCE_HINT}.`,
      brief: `step k=${k} would leave ${numbers} (repair ${names(broken)})`,
    };
  }
  return undefined;
}

function w1(size: number, maxSize: number): string {
  const prefer = size + 1 <= maxSize ? `${size - 1} or ${size + 1}` : `${size - 1}`;
  return `W1: an even size (${size}) tolerates no more failures than ${size - 1} (${size - quorum(size)} each); prefer ${prefer}`;
}

function names(members: MemberStatus[]): string {
  return members.length === 0 ? 'none listed' : members.map((m) => m.name).join(', ');
}

function describe(value: unknown): string {
  if (value === undefined) return 'no size';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return `${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`} ${text.length > 40 ? `${text.slice(0, 40)}...` : text}`;
}

function allow(warnings: string[], bypassed: RuleId[]): PolicyVerdict {
  return { allowed: true, warnings, bypassed };
}

function deny(rule: RuleId, message: string): PolicyVerdict {
  return { allowed: false, rule, message, warnings: [], bypassed: [] };
}
