#!/usr/bin/env node
// kubectl-etcd: entry point. Loads as little as it can before knowing the command (start-up time is the
// CLI's first impression); exit codes are those of SPEC.md: 0 done, 1 error, 2 denied, 3 timed out.
import module from 'node:module';

module.enableCompileCache?.();

/** Hidden, as cobra's: `kubectl-etcd __complete WORDS...` is kubectl_complete-etcd (standalone builds ship one executable). */
const COMPLETE = '__complete';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === COMPLETE) {
    const { printCompletions } = await import('./completion/print.js');
    return printCompletions(argv.slice(1));
  }
  const [{ default: yargs }, { globalFlags }, { registerCommands }, { CliError, ExitCode }, { err }] = await Promise.all([
    import('yargs'), import('./cli/flags.js'), import('./commands/commands.js'), import('./cli/errors.js'), import('./cli/output.js'),
  ]);

  async function run(task: () => Promise<void>, api: boolean): Promise<void> {
    try {
      await task();
    } catch (e) {
      const ce = e instanceof CliError ? e : new CliError(e instanceof Error ? e.message : String(e));
      err(`error: ${ce.message}`);
      process.exitCode = ce.code;
    } finally {
      if (api) (await import('./kube/http.js')).closeConnections();
    }
  }

  const cli = globalFlags(yargs(argv))
    .scriptName('kubectl etcd')
    .usage('$0 <command> [flags]\n\nSee and resize etcd clusters run by etcd-k8s-operator.')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .version(false)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, e) => {
      if (e) throw e;
      err(`error: ${msg}\nRun 'kubectl etcd --help' for usage.`);
      process.exit(ExitCode.error);
    });
  skipHelpCache(cli);
  await registerCommands(cli, run).parseAsync();
}

/**
 * yargs renders the whole help text each time a command starts (usage.cacheHelpMessage, ~12 ms of every
 * `kubectl etcd status`), kept for reporting a failure inside the handler with help. run() reports every
 * handler failure itself, so that text is never shown: skip rendering it. (Internal yargs API: when it is
 * not there, nothing changes.)
 */
function skipHelpCache(cli: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const usage = (cli as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
