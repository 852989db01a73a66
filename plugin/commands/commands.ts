// The commands: names, flags and help only. Each handler imports its implementation when it runs, so
// `--help`, `version` and `completion` load no API code.
import type { Argv } from 'yargs';
import type { GlobalArgs } from '../cli/session.js';
import { DEFAULT_MAX_SIZE } from '../../core/api.js';

type Args = GlobalArgs & Record<string, unknown>;

export function registerCommands<T extends GlobalArgs>(y: Argv<T>, run: (task: () => Promise<void>, api: boolean) => Promise<void>): Argv<T> {
  return y
    .command('status [name]', 'Show a cluster at a glance (or every cluster, without NAME)', (b) => b
      .positional('name', { type: 'string', describe: 'EtcdCluster name' })
      .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'Redraw on change until Ctrl-C' })
      .example('$0 status demo', 'Summary, resize, repair, upgrade, members, conditions, events and warnings of demo')
      .example('$0 status demo -o json', 'The same as JSON; .status is the EtcdCluster status as stored'),
    (a) => run(async () => (await import('./status/run.js')).runStatus(a as Args & { name?: string; watch?: boolean }), true))
    .command(['list', 'ls'], 'List clusters, one line each', (b) => b.example('$0 list -A', 'Every cluster of every namespace'),
      (a) => run(async () => (await import('./list/run.js')).runList(a as Args), true))
    .command('members <name>', "Show a cluster's members with the figures the controller last read from each", (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' }),
    (a) => run(async () => (await import('./members/run.js')).runMembers(a as Args & { name: string }), true))
    .command('scale <name>', 'Resize a cluster safely: preflight, plan, confirm, dry run, change, progress', (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' })
      .option('replicas', { type: 'number', demandOption: true, describe: 'The wanted number of voting members' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
      .option('wait', { type: 'boolean', default: true, describe: 'Wait until the resize is done (--no-wait to return at once)' })
      .option('timeout', { type: 'string', default: '10m', describe: 'How long to wait (e.g. 90s, 10m)' })
      .option('max-size', { type: 'number', default: DEFAULT_MAX_SIZE, describe: "The webhook's --max-size, for the preflight (the server-side dry run has the last word)" })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan and the server\'s verdict (a server-side dry run) and change nothing; with -o json|yaml as a document' })
      .example('$0 scale demo --replicas 3', 'Grow demo to 3 members, one learner at a time')
      .example('$0 scale demo --replicas 3 --dry-run -o json', 'The plan with healthy members, quorum and tolerance after every action, and the verdict')
      .epilog('Exit codes: 0 done (with --dry-run: allowed), 1 error or not confirmed, 2 denied by policy, 3 timed out (the resize goes on), 130 interrupted while waiting (the resize goes on).'),
    (a) => run(async () => (await import('./scale/run.js')).runScale(a as unknown as import('./scale/run.js').ScaleArgs), true))
    .command('replace <name> <member>', 'Replace a member: remove it, add it again as a new learner on a new volume, promote it', (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' })
      .positional('member', { type: 'string', demandOption: true, describe: 'The voting member to replace (e.g. demo-2)' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
      .option('wait', { type: 'boolean', default: true, describe: 'Wait until the new member votes (--no-wait to return at once)' })
      .option('timeout', { type: 'string', default: '10m', describe: 'How long to wait (e.g. 90s, 10m)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan and the server\'s verdict and change nothing; with -o json|yaml as a document' })
      .example('$0 replace demo demo-2', 'demo-2 lost its disk or keeps crashing: replace it, one safe step at a time')
      .epilog('Exit codes: 0 done (with --dry-run: allowed), 1 error or not confirmed, 2 denied by policy, 3 timed out (the replacement goes on), 130 interrupted while waiting (it goes on).'),
    (a) => run(async () => (await import('./replace/run.js')).runReplace(a as unknown as import('./replace/run.js').ReplaceArgs), true))
    .command('upgrade <name>', 'Change the etcd version safely: preflight, plan, confirm, dry run, change, progress member by member', (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' })
      .option('version', { type: 'string', demandOption: true, describe: 'The etcd release to run (e.g. 3.5.16): any patch within the minor, or the next minor up' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
      .option('wait', { type: 'boolean', default: true, describe: 'Wait until every member runs the version and the cluster version has moved (--no-wait to return at once)' })
      .option('timeout', { type: 'string', default: '10m', describe: 'How long to wait (e.g. 90s, 10m)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan and the server\'s verdict (a server-side dry run) and change nothing; with -o json|yaml as a document' })
      .example('$0 upgrade demo --version 3.5.16', 'Restart the members on etcd 3.5.16 one at a time, followers first, the leader last')
      .example('$0 upgrade demo --version 3.5.16 --dry-run -o json', 'The plan with healthy members, quorum and tolerance while each member restarts, and the verdict')
      .epilog('etcd goes one minor up at a time (3.4 -> 3.5 -> 3.6) and never back a minor once a member runs the newer one; patch releases go both ways.\nExit codes: 0 done (with --dry-run: allowed), 1 error or not confirmed, 2 denied by policy, 3 timed out (the upgrade goes on), 130 interrupted while waiting (it goes on).'),
    (a) => run(async () => (await import('./upgrade/run.js')).runUpgrade(a as unknown as import('./upgrade/run.js').UpgradeArgs), true))
    .command('recover <name>', 'Recover a cluster that lost quorum from its most advanced surviving member (never automatic)', (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' })
      .option('member', { type: 'string', describe: 'Recover from this member instead of the proposal' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
      .option('wait', { type: 'boolean', default: true, describe: 'Wait until the cluster is back at its size (--no-wait to return at once)' })
      .option('timeout', { type: 'string', default: '15m', describe: 'How long to wait (e.g. 90s, 10m)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Show the proposal (each member\'s raft term, index, revision; what each choice loses) and the verdict; change nothing' })
      .example('$0 recover demo --dry-run', 'Quorum is lost: what would be kept and what lost')
      .epilog('Only with quorum lost. The chosen member restarts once as a one-member cluster (force-new-cluster); every other member\'s data is discarded and the cluster grows back with new members.\nExit codes: 0 done (with --dry-run: allowed), 1 error or not confirmed, 2 denied by policy, 3 timed out (the recovery goes on), 130 interrupted while waiting (it goes on).'),
    (a) => run(async () => (await import('./recover/run.js')).runRecover(a as unknown as import('./recover/run.js').RecoverArgs), true))
    .command('snapshot <name>', 'Take a snapshot of a cluster now, into its backup volume (PVC NAME-backups), and wait until it is written', (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' })
      .option('timeout', { type: 'string', default: '10m', describe: 'How long to wait for the snapshot (e.g. 90s, 10m)' })
      .example('$0 snapshot demo', 'Ask the controller for a snapshot of demo and print its file, revision, size and sha256')
      .epilog('Needs spec.backup (rule S1: no backup volume without it). The request is the annotation etcd.k8s-operator.io/snapshot-requested (the time it was asked): a request not served yet is waited for, never repeated.\n' +
        'RBAC: get and patch etcdclusters (more than the read-only etcd-plugin-viewer role).\n' +
        'Exit codes: 0 taken, 1 error or the snapshot failed, 2 denied (S1), 3 timed out, 130 interrupted (either way the request stays queued: kubectl etcd snapshots NAME).'),
    (a) => run(async () => (await import('./snapshot/run.js')).runSnapshot(a as unknown as import('./snapshot/run.js').SnapshotArgs), true))
    .command('snapshots <name>', "List the snapshots in a cluster's backup volume, newest first, with the last error and a request not taken yet", (b) => b
      .positional('name', { type: 'string', demandOption: true, describe: 'EtcdCluster name' })
      .example('$0 snapshots demo -o json', 'status.backup.snapshots as stored, each with its full sha256')
      .epilog('Reads the EtcdCluster only (get etcdclusters: the etcd-plugin-viewer role is enough).'),
    (a) => run(async () => (await import('./snapshots/run.js')).runSnapshots(a as Args & { name: string }), true))
    .command('completion <shell>', 'Print a shell completion script (bash or zsh)', (b) => b
      .positional('shell', { choices: ['bash', 'zsh'] as const, demandOption: true })
      .epilog('kubectl 1.26+ completes `kubectl etcd ...` by itself through kubectl_complete-etcd on PATH; this script completes `kubectl-etcd ...`.\n  bash: source <(kubectl etcd completion bash)\n  zsh:  source <(kubectl etcd completion zsh)'),
    (a) => run(async () => (await import('./completion/run.js')).runCompletion(a.shell as 'bash' | 'zsh'), false))
    .command('version', 'Print the plugin version', (b) => b,
      (a) => run(async () => (await import('./version/run.js')).runVersion(a as Args), false));
}
