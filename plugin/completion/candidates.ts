// Completion for `kubectl etcd <TAB>` as kubectl 1.26+ asks for it: kubectl runs kubectl_complete-etcd with
// the words after `etcd` (the last one being the word under the cursor, maybe empty) and reads candidates
// one per line ("value\tdescription"), then a line ":DIRECTIVE" as cobra's __complete prints it.
import { COLOR_MODES, OUTPUT_FORMATS } from '../cli/flags.js';

/** cobra's ShellCompDirective values used here. */
export const Directive = { default: 0, noFileComp: 4 } as const;

export interface CompletionSources {
  /** Cluster names in a namespace (undefined: the context's); [] on any failure. */
  clusters(target: Target): Promise<string[]>;
  namespaces(target: Target): Promise<string[]>;
  contexts(target: Target): string[];
}

export interface Target {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export const COMMANDS: [string, string][] = [
  ['status', 'Show a cluster at a glance'],
  ['list', 'List clusters'],
  ['members', 'Show the members of a cluster'],
  ['scale', 'Resize a cluster safely'],
  ['replace', 'Replace a failed member safely'],
  ['recover', 'Recover a cluster that lost quorum'],
  ['upgrade', 'Change the etcd version safely'],
  ['snapshot', 'Take a snapshot now'],
  ['snapshots', 'List the snapshots of a cluster'],
  ['completion', 'Print a shell completion script'],
  ['version', 'Print the plugin version'],
];

const GLOBAL_FLAGS = ['--kubeconfig', '--context', '--namespace', '-n', '--all-namespaces', '-A', '--output', '-o', '--color', '--help'];
const COMMAND_FLAGS: Record<string, string[]> = {
  status: ['--watch', '-w'],
  scale: ['--replicas', '--yes', '-y', '--wait', '--no-wait', '--timeout', '--max-size', '--dry-run'],
  replace: ['--yes', '-y', '--wait', '--no-wait', '--timeout', '--dry-run'],
  recover: ['--member', '--yes', '-y', '--wait', '--no-wait', '--timeout', '--dry-run'],
  upgrade: ['--version', '--yes', '-y', '--wait', '--no-wait', '--timeout', '--dry-run'],
  snapshot: ['--timeout'],
};
/** Flags followed by a value, so that value is not taken for a command or a NAME. */
const VALUE_FLAGS = new Set(['--kubeconfig', '--context', '--namespace', '-n', '--output', '-o', '--color', '--replicas', '--timeout', '--max-size', '--member', '--version']);
/** Commands whose first positional is an EtcdCluster name. */
const NAMED = new Set(['status', 'members', 'scale', 'replace', 'recover', 'upgrade', 'snapshot', 'snapshots']);

export async function completionLines(words: string[], src: CompletionSources): Promise<string[]> {
  const current = words.length > 0 ? words[words.length - 1] : '';
  const done = words.slice(0, -1);
  const target: Target = {};
  const positionals: string[] = [];
  for (let i = 0; i < done.length; i++) {
    const w = done[i];
    const eq = /^(--[\w-]+)=(.*)$/.exec(w);
    if (eq) { setTarget(target, eq[1], eq[2]); continue; }
    if (VALUE_FLAGS.has(w)) { setTarget(target, w, done[i + 1]); i++; continue; }
    if (!w.startsWith('-')) positionals.push(w);
  }
  const [command] = positionals;

  const previous = done[done.length - 1];
  const eqCurrent = /^(--[\w-]+)=(.*)$/.exec(current);
  if (eqCurrent) return finish(await values(eqCurrent[1], target, src), eqCurrent[2], `${eqCurrent[1]}=`);
  if (previous !== undefined && VALUE_FLAGS.has(previous) && !/^--[\w-]+=/.test(previous)) {
    if (previous === '--kubeconfig') return [`:${Directive.default}`];
    return finish(await values(previous, target, src), current);
  }
  if (current.startsWith('-')) return finish([...(command ? COMMAND_FLAGS[command] ?? [] : []), ...GLOBAL_FLAGS], current);
  if (!command) return finish(COMMANDS.map(([c, d]) => `${c}\t${d}`), current);
  if (command === 'completion' && positionals.length === 1) return finish(['bash', 'zsh'], current);
  if (NAMED.has(command) && positionals.length === 1) return finish(await src.clusters(target), current);
  return [`:${Directive.noFileComp}`];
}

function setTarget(t: Target, flag: string, value: string | undefined): void {
  if (value === undefined) return;
  if (flag === '--kubeconfig') t.kubeconfig = value;
  else if (flag === '--context') t.context = value;
  else if (flag === '--namespace' || flag === '-n') t.namespace = value;
}

async function values(flag: string, target: Target, src: CompletionSources): Promise<string[]> {
  switch (flag) {
    case '--namespace': case '-n': return src.namespaces(target);
    case '--context': return src.contexts(target);
    case '--output': case '-o': return [...OUTPUT_FORMATS];
    case '--color': return [...COLOR_MODES];
    case '--replicas': return ['1', '3', '5', '7'];
    default: return [];
  }
}

function finish(candidates: string[], prefix: string, lead = ''): string[] {
  return [...candidates.filter((c) => c.startsWith(prefix)).map((c) => lead + c), `:${Directive.noFileComp}`];
}
