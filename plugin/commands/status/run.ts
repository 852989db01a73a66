// `kubectl etcd status [NAME]`: one cluster in sections, or the list when no NAME is given.
import { colorsFor, formatData, out } from '../../cli/output.js';
import { openSession, type GlobalArgs } from '../../cli/session.js';
import { gatherView } from './gather.js';
import { renderStatus } from './render.js';
import { statusReport } from './report.js';
import type { ClusterView } from './view.js';

export interface StatusArgs extends GlobalArgs {
  name?: string;
  watch?: boolean;
}

export async function runStatus(args: StatusArgs): Promise<void> {
  if (!args.name) {
    const { runList } = await import('../list/run.js');
    return runList(args);
  }
  const { conn, namespace } = await openSession(args);
  const show = async (view: ClusterView): Promise<string> => args.output === 'json' || args.output === 'yaml'
    ? formatData(statusReport(view), args.output)
    : renderStatus(view, { colors: colorsFor(args.color, process.stdout), wide: args.output === 'wide' });
  if (args.watch) {
    const { watchStatus } = await import('./watch.js');
    return watchStatus(conn, namespace, args.name, show);
  }
  out(await show(await gatherView(conn, namespace, args.name)));
}
