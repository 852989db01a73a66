// The API server's answer to a change sent as a server-side dry run (scale, replace, recover, upgrade): the
// webhook's verdict on the live status, its warnings added to the preflight's; and how a guided command
// reports that verdict, in a dry run or right before the change.
import type { PolicyVerdict } from '../../core/policy.js';
import { CliError, ExitCode } from '../cli/errors.js';
import { explain } from '../cli/explain.js';
import { err, formatData, out, type Colors } from '../cli/output.js';
import type { Connection } from '../kube/connection.js';
import { KubeError } from '../kube/http.js';
import { patchClusterAnnotations } from '../kube/resources.js';
import { verdictText, type Verdict } from './scale/plan.js';
import { clusterLabel } from './status/gather.js';

/** `send` makes the request with dryRun=All; a webhook denial is a verdict, any other failure an error. */
export async function dryRunVerdict(ns: string, name: string, local: string[], send: () => Promise<{ warnings: string[] }>): Promise<Verdict> {
  try {
    const dry = await send();
    return { allowed: true, by: 'server', warnings: [...local, ...dry.warnings.filter((w) => !local.includes(w))] };
  } catch (e) {
    if (!(e instanceof KubeError && e.kind === 'Denied')) throw explain(e, clusterLabel(ns, name));
    const rule = /denied the request: (V\d+):/.exec(e.message)?.[1];
    return { allowed: false, by: 'server', ...(rule ? { rule } : {}), message: e.message, warnings: [] };
  }
}

/** A request made with an annotation on the EtcdCluster (replace, recover). */
export function requestVerdict(conn: Connection, ns: string, name: string, key: string, value: string, local: PolicyVerdict): Promise<Verdict> {
  return dryRunVerdict(ns, name, local.warnings, () => patchClusterAnnotations(conn, ns, name, { [key]: value }, true));
}

export interface DryRunReport {
  /** -o json|yaml: `document` is printed; else `lines`, the warnings and the verdict as text. */
  format?: 'json' | 'yaml';
  document: unknown;
  lines: string[];
  verdict: Verdict;
  ce: Colors;
}

/** `--dry-run`'s output; exit 2 when denied (0 when allowed), nothing changed either way. */
export async function reportDryRun(r: DryRunReport): Promise<void> {
  if (r.format) out(await formatData(r.document, r.format));
  else {
    r.lines.forEach((line) => out(line));
    for (const w of r.verdict.warnings) err(r.ce.yellow(`Warning: ${w}`));
    out(verdictText(r.verdict));
  }
  if (!r.verdict.allowed) process.exitCode = ExitCode.denied;
}

/** Right before the change: the server's warnings the preflight did not give, then its denial as exit 2. */
export function insistAllowed(server: Verdict, local: string[], ce: Colors): void {
  for (const w of server.warnings) if (!local.includes(w)) err(ce.yellow(`Warning: ${w}`));
  if (!server.allowed) throw new CliError(server.message ?? 'denied by the API server', ExitCode.denied);
}
