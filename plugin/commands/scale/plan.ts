// What `scale` shows before it changes anything: the plan (text, or the document of `--dry-run -o json`) and
// the verdict on it. Pure.
import type { PolicyVerdict } from '../../../core/policy.js';
import { planActions, planLines, planSummary, type ResizePlan } from '../../../core/resize-plan.js';
import type { Colors } from '../../cli/output.js';

/** Who answered: the shared policy in the plugin, or the API server (webhook included) in a dry run. */
export interface Verdict {
  allowed: boolean;
  by: 'preflight' | 'server';
  rule?: string;
  message?: string;
  warnings: string[];
}

/** A verdict of the shared policy (core/policy.ts, core/version-policy.ts). */
export function preflightVerdict(v: Pick<PolicyVerdict, 'allowed' | 'rule' | 'message' | 'warnings'>): Verdict {
  return v.allowed
    ? { allowed: true, by: 'preflight', warnings: v.warnings }
    : { allowed: false, by: 'preflight', rule: v.rule, message: v.message, warnings: [] };
}

/** The plan as text: a title, one numbered line per member joining or leaving, and the tolerance summary. */
export function planText(plan: ResizePlan, namespace: string, c: Colors, title = `resize ${plan.cluster} (namespace ${namespace}) from ${plan.from} to ${plan.to} members, one member at a time`): string[] {
  return [
    c.bold(`Plan: ${title}`),
    ...planLines(plan).map((line, i) => `  ${i + 1}. ${plan.steps[i].lessTolerantThanBefore ? c.yellow(line) : line}`),
    `  ${planSummary(plan)}`,
  ];
}

export function verdictText(v: Verdict): string {
  if (!v.allowed) return `Verdict: denied by ${v.by === 'server' ? 'the API server (dry run)' : 'the preflight (the webhook\'s policy)'}: ${v.message ?? v.rule ?? ''}`;
  return `Verdict: allowed by ${v.by === 'server' ? 'the API server (dry run)' : 'the preflight'}${v.warnings.length ? `, with ${v.warnings.length} warning(s)` : ''}; nothing changed (--dry-run)`;
}

/** `scale --dry-run -o json|yaml` (and `replace`'s): each action with the cluster right after it, healthy members only. */
export function planDocument(plan: ResizePlan, namespace: string, verdict: Verdict, extra: Record<string, unknown> = {}) {
  return {
    cluster: plan.cluster,
    namespace,
    ...extra,
    from: plan.from,
    to: plan.to,
    toleratesNow: plan.toleratesBefore,
    steps: planActions(plan).map(({ action, member, votingAfter, healthyAfter, quorumAfter, toleratesAfter }) => ({ action, member, votingAfter, healthyAfter, quorumAfter, toleratesAfter })),
    verdict,
  };
}
