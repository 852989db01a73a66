// `kubectl etcd version`.
import { formatData, out } from '../../cli/output.js';
import type { GlobalArgs } from '../../cli/session.js';
import { productVersion } from '../../../core/version.js';

export async function runVersion(args: GlobalArgs): Promise<void> {
  const info = { plugin: productVersion(), node: process.versions.node, platform: `${process.platform}/${process.arch}` };
  if (args.output === 'json' || args.output === 'yaml') process.stdout.write(await formatData(info, args.output));
  else out(`kubectl-etcd ${info.plugin} (node ${info.node}, ${info.platform})`);
}
