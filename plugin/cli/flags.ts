// kubectl's standard flags, declared once for every command.
import type { Argv } from 'yargs';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export const COLOR_MODES = ['auto', 'always', 'never'] as const;

export function globalFlags<T>(y: Argv<T>) {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)', global: true })
    .option('context', { type: 'string', describe: 'The kubeconfig context to use', global: true })
    .option('namespace', { alias: 'n', type: 'string', describe: "Namespace (default: the current context's namespace)", global: true })
    .option('all-namespaces', { alias: 'A', type: 'boolean', default: false, describe: 'List across all namespaces (list, status without NAME)', global: true })
    .option('output', { alias: 'o', choices: OUTPUT_FORMATS, default: 'table' as const, describe: 'Output format', global: true })
    .option('color', { choices: COLOR_MODES, default: 'auto' as const, describe: 'Colour: auto (only on a terminal), always, never', global: true });
}
