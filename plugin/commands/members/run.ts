// `kubectl etcd members NAME`: the Members section of `status` on its own.
import { colorsFor, err, formatData, out } from '../../cli/output.js';
import { openSession, type GlobalArgs } from '../../cli/session.js';
import { gatherView } from '../status/gather.js';
import { members } from '../status/render.js';

export async function runMembers(args: GlobalArgs & { name: string }): Promise<void> {
  const { conn, namespace } = await openSession(args);
  const view = await gatherView(conn, namespace, args.name);
  if (args.output === 'json' || args.output === 'yaml') {
    process.stdout.write(await formatData({ members: view.members, couldNotRead: view.unreadable }, args.output));
    return;
  }
  out(members(view, { colors: colorsFor(args.color, process.stdout), wide: args.output === 'wide' }).join('\n'));
  for (const u of view.unreadable) err(`could not read ${u}`);
}
