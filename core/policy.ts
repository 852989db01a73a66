// The admission policy (SPEC.md, "Admission policy"): pure, shared by the webhook and the plugin's preflight so
// both give the same verdict and the same words. Resizes are judged on the plan the controller would follow
// (core/resize-plan.ts), counting healthy members only.
import { Annotations, DEFAULT_MAX_SIZE, MIN_SIZE, type EtcdClusterStatus, type MemberStatus, type RepairPolicy } from './api.js';
import { backupWarning, checkBackup, checkBootstrap, type RestoreSource } from './backup-rules.js';
import { findCondition } from './conditions.js';
import { byOrdinal, healthyVoting, isFormed, voting } from './membership.js';
import { checkName, checkPodSettings, checkSpecChange, podSettingsWarning, versionOf } from './object-rules.js';
import { faultTolerance, quorum } from './quorum.js';
import { planReplace, planResize, planStart, type ResizePlan } from './resize-plan.js';
import { evaluateVersionChange } from './version-policy.js';

export type RuleId = 'V1' | 'V2' | 'V3' | 'V4' | 'V5' | 'V6' | 'V7' | 'V8' | 'V9' | 'V10' | 'V11' | 'V12' | 'V13';

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
  /** spec.repair.policy (default Auto): a shrink then replaces the unhealthy members it keeps. */
  repairPolicy?: RepairPolicy;
}

export interface PolicyVerdict {
  allowed: boolean;
  /** The rule that denied. */
  rule?: RuleId;
  /** Denial: names the rule, the numbers, what to do next. */
  message?: string;
  /** W1..W4 texts, each starting with its id, e.g. "W1: ...". */
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
  /** The steps the controller would take, healthy members counted. */
  plan: ResizePlan;
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
    // Without the name (never from the webhook or the plugin), the members' names still carry it.
    plan: planResize(req.name ?? voting(req.status)[0]?.name.replace(/-\d+$/, '') ?? 'NAME', planStart(req.oldSize ?? newSize, req.status), newSize, req.status,
      { replaceKept: (req.repairPolicy ?? 'Auto') === 'Auto' }),
  };
  const warnings = [...parityWarning, ...planWarnings(facts)];
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

/** What an admission of the EtcdCluster main resource is judged on (the webhook's inputs); `name` is undefined on a CREATE by generateName. */
export interface ObjectAdmission extends ResizeRequest {
  oldSpec?: unknown;
  newSpec: unknown;
  /** spec.podTemplate.spec.priorityClassName names no PriorityClass (the webhook asked the API server). */
  missingPriorityClass?: string;
  /** At CREATE with spec.bootstrap.fromSnapshot: what the webhook read of the snapshot's source (V13, W10). */
  restoreSource?: RestoreSource;
}

/** `kubectl etcd replace` (annotation replace: "MEMBER/ID"), judged on the status the request was made against. */
export interface ReplaceRequest {
  name: string;
  member: string;
  /** The member's etcd ID the request names; absent: whatever ID it has now. */
  id?: string;
  status?: EtcdClusterStatus;
  generation?: number;
}

/**
 * V8: a replacement is of a voting member, one at a time (no resize or replacement running), and only while
 * the members that stay keep a healthy quorum. W5 when the cluster tolerates no failure while it runs.
 */
export function evaluateReplace(req: ReplaceRequest): PolicyVerdict {
  const statusCmd = `kubectl etcd status ${req.name}`;
  const members = voting(req.status);
  const m = members.find((x) => x.name === req.member);
  if (!m) {
    return deny('V8', `V8: cannot replace ${req.member}: it is not a voting member of ${req.name} (voting: ${names(byOrdinal(members))}); ` +
      `name one of them (${statusCmd}).`);
  }
  if (req.id && m.id !== req.id) {
    return deny('V8', `V8: cannot replace ${req.member} (${req.id}): ${req.member} is member ${m.id} now (replaced already?); ` +
      `ask again for the member as it is (${statusCmd}).`);
  }
  const open = req.status?.lastRepair && !req.status.lastRepair.completedAt ? req.status.lastRepair : req.status?.pendingRepairs?.[0];
  if (open || isInProgress(req.status, req.generation)) {
    const what = open ? `the replacement of ${open.member} (${open.reason})` : `a change (${findCondition(req.status, 'Progressing')?.message ?? 'not observed yet'})`;
    return deny('V8', `V8: cannot replace ${req.member} now: ${what} of ${req.name} is in progress; one membership change at a time: ` +
      `wait for it to finish (${statusCmd}).`);
  }
  const plan = planReplace(req.name, req.member, req.status);
  const out = plan.steps[0];
  if (out.tolerates < 0) {
    const sick = members.filter((x) => x.name !== m.name && !x.healthy);
    return deny('V8', `V8: replacing ${req.member} would leave ${out.healthy} healthy of ${out.voting} members while it is out ` +
      `(quorum ${out.quorum}): etcd would be unavailable. Repair ${names(sick)} first (${statusCmd}).`);
  }
  const warnings = out.tolerates === 0
    ? [`W5: while ${req.member} is replaced, ${req.name} tolerates no failure (${out.healthy} healthy of ${out.voting} members, quorum ${out.quorum})`]
    : [];
  return allow(warnings, []);
}

/** The member a recovery should start from: the most advanced that answers (raft index, then revision, then term). */
export function recoveryProposal(status: EtcdClusterStatus | undefined): MemberStatus | undefined {
  const known = voting(status).filter((m) => m.raftIndex !== undefined);
  const key = (m: MemberStatus) => [m.raftIndex ?? -1, m.revision ?? -1, m.raftTerm ?? -1];
  return known.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  })[0];
}

/**
 * V9: `kubectl etcd recover` only with quorum lost (otherwise a member is replaced, never forced), from a voting
 * member that answers (its figures read from it). W6 names what the choice discards beyond it.
 */
export function evaluateRecover(req: ReplaceRequest): PolicyVerdict {
  const statusCmd = `kubectl etcd status ${req.name}`;
  const members = voting(req.status);
  const healthy = members.filter((m) => m.healthy).length;
  if (members.length > 0 && healthy >= quorum(members.length)) {
    return deny('V9', `V9: ${req.name} has quorum (${healthy} of ${members.length} voting members healthy, quorum ${quorum(members.length)}): ` +
      `recovery (force-new-cluster) is only for lost quorum; replace the unhealthy members instead (kubectl etcd replace ${req.name} MEMBER).`);
  }
  const m = members.find((x) => x.name === req.member);
  if (!m || (req.id && m.id !== req.id)) {
    return deny('V9', `V9: cannot recover ${req.name} from ${req.member}${req.id ? ` (${req.id})` : ''}: it is not a voting member as listed now ` +
      `(voting: ${members.map((x) => `${x.name} ${x.id}`).join(', ') || 'none'}); see ${statusCmd}.`);
  }
  if (m.raftIndex === undefined) {
    return deny('V9', `V9: cannot recover ${req.name} from ${req.member}: it does not answer, so its data is unknown; ` +
      `choose a member that answers (kubectl etcd recover ${req.name} shows them).`);
  }
  const ahead = members.filter((x) => x.id !== m.id && x.raftIndex !== undefined && (x.raftIndex > m.raftIndex! || (x.revision ?? 0) > (m.revision ?? 0)));
  const warnings = ahead.map((x) => `W6: recovering ${req.name} from ${m.name} (index ${m.raftIndex}, revision ${m.revision ?? '?'}) discards what ${x.name} has beyond it (index ${x.raftIndex}, revision ${x.revision ?? '?'})`);
  return allow(warnings, []);
}

/**
 * The whole policy for the main resource: the name (V6, CREATE), fields applied only at creation (V7, UPDATE),
 * the pod settings (V11), backups (V12) and bootstrap (V13), a version change (V10, UPDATE), then the resize rules.
 */
export function evaluateAdmission(req: ObjectAdmission): PolicyVerdict {
  const cluster = req.name ?? 'the cluster';
  const oldSpec = req.operation === 'UPDATE' ? req.oldSpec ?? {} : undefined;
  const finding = (req.operation === 'CREATE' ? checkName(req.name) : checkSpecChange(cluster, req.oldSpec, req.newSpec))
    ?? checkPodSettings(cluster, req.newSpec, oldSpec, req.missingPriorityClass)
    ?? checkBackup(cluster, req.newSpec, oldSpec)
    ?? checkBootstrap(cluster, req.newSpec, oldSpec, req.restoreSource);
  if (finding) return deny(finding.rule, finding.message);
  const version = req.operation === 'UPDATE'
    ? evaluateVersionChange({
      name: req.name ?? 'the cluster',
      oldVersion: versionOf(req.oldSpec),
      newVersion: versionOf(req.newSpec),
      status: req.status,
      generation: req.generation,
      sizeChanges: req.newSize !== req.oldSize,
    })
    : undefined;
  if (version && !version.allowed) return version;
  const resize = evaluateResize(req);
  const rolled = req.operation === 'UPDATE' ? podSettingsWarning(cluster, req.oldSpec, req.newSpec) : undefined;
  const backup = backupWarning(cluster, req.newSpec, oldSpec, req.restoreSource);
  const before = [...(version?.warnings ?? []), ...[rolled, backup].filter((w): w is string => w !== undefined)];
  return resize.allowed && before.length ? { ...resize, warnings: [...before, ...resize.warnings] } : resize;
}

/**
 * W2 and W4, from the plan: said on every resize that ends tolerating no failure or keeps an unhealthy member,
 * so the user sees it where they confirm (the plugin) and in the API server's answer (the webhook).
 */
function planWarnings(f: Facts): string[] {
  const { plan } = f;
  if (f.oldSize === undefined || f.newSize === f.oldSize || plan.steps.length === 0) return [];
  const out: string[] = [];
  const end = plan.steps[plan.steps.length - 1];
  if (plan.toleratesAfter <= 0) {
    const numbers = `${end.healthy} healthy of ${end.voting} voting, quorum ${end.quorum}`;
    out.push(plan.toleratesAfter === 0
      ? `W2: when resized from ${plan.from} to ${plan.to}, ${f.cluster} tolerates no failure (${numbers}): losing one more member makes etcd unavailable`
      : `W2: when resized from ${plan.from} to ${plan.to}, ${f.cluster} has no quorum (${numbers}): etcd is unavailable`);
  }
  const leaving = plan.steps.filter((s) => s.acts.some((a) => a.action === 'remove-member')).map((s) => s.member);
  const replaced = plan.steps.filter((s) => s.acts.some((a) => a.action === 'add-learner') && leaving.includes(s.member)).map((s) => s.member);
  if (replaced.length > 0) {
    out.push(`W4: shrinking ${f.cluster} from ${plan.from} to ${plan.to} keeps unhealthy ${replaced.join(', ')}: replaced at the end ` +
      `(repair.policy Auto: removed, added again as a new learner on a new volume), so every member that stays is healthy`);
  }
  if (leaving.length > 0 && plan.unhealthyKept.length > 0) {
    const sick = plan.unhealthyKept.join(', ');
    const after = plan.toleratesAfter < 0 ? 'it has no quorum' : `it tolerates ${plan.toleratesAfter} failure(s) instead of ${faultTolerance(plan.to)}`;
    out.push(`W4: shrinking ${f.cluster} from ${plan.from} to ${plan.to} keeps unhealthy ${sick} (members leave from the highest ordinal down: ` +
      `${leaving.join(', ')}); when done ${after}: repair ${sick} (${f.statusCmd})`);
  }
  return out;
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
  const upgrade = f.status?.lastUpgrade && !f.status.lastUpgrade.completedAt ? f.status.lastUpgrade : undefined;
  if (upgrade && f.newSize !== f.current) {
    const on = voting(f.status).filter((m) => m.version === upgrade.to).length;
    return {
      rule: 'V3',
      message: `V3: an upgrade of ${f.cluster} from etcd ${upgrade.from} to ${upgrade.to} is in progress (${on} of ${f.current} members on ${upgrade.to}); ` +
        `one change at a time: wait for it to finish (${f.statusCmd}), then resize; ${FORCE_HINT}.`,
      brief: `an upgrade to ${upgrade.to} was in progress`,
    };
  }
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

/** Members leave from the highest ordinal down (the plan's order); each step must keep a healthy quorum. */
function checkV5(f: Facts): Finding | undefined {
  if (!f.formed || f.oldSize === undefined || f.newSize >= f.oldSize) return undefined;
  const broken = f.plan.steps.find((s) => s.tolerates < 0);
  if (!broken) return undefined;
  const k = broken.voting;
  const numbers = `${broken.healthy} healthy of the ${k} remaining, quorum is ${broken.quorum}`;
  const repair = broken.unhealthyKept.join(', ');
  return {
    rule: 'V5',
    message: `V5: shrinking ${f.cluster} from ${f.from} to ${f.newSize} would lose quorum at step k=${k} ` +
      `(members leave from the highest ordinal down; going from ${k + 1} to ${k} members leaves ${numbers}). ` +
      `Repair ${repair} first, then retry (${f.statusCmd}); ${FORCE_HINT}.`,
    brief: `step k=${k} would leave ${numbers} (repair ${repair})`,
  };
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
