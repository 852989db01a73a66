// etcd-member-guard --entry FILE --data-dir DIR --member NAME: the init container of every etcd pod. Reads the
// member's start entry and its data dir, decides (core/member-guard.ts), and either exits 0 so etcd starts, or
// exits with the refusal's code and writes why to the termination log, where the controller reads it.
// Node built-ins and core/ only: it runs before every start of every member.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseEntry } from '../core/member-entry.js';
import { GUARD_EXIT, guardVerdict, type VolumeFacts } from '../core/member-guard.js';
import { walIdentity } from '../core/wal.js';

const TERMINATION_LOG = process.env.GUARD_TERMINATION_LOG ?? '/dev/termination-log';

function volumeFacts(dataDir: string): VolumeFacts {
  let files: string[] = [];
  try {
    files = readdirSync(join(dataDir, 'member', 'wal')).filter((f) => f.endsWith('.wal')).sort();
  } catch (err) {
    // Only "not there" is an empty volume; a directory it may not read (another user's, 0700) says nothing.
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { walFiles: 0 } : { walFiles: 0, unreadable: `${join(dataDir, 'member', 'wal')}: ${code ?? String(err)}` };
  }
  for (const f of files) {
    try {
      const id = walIdentity(readFileSync(join(dataDir, 'member', 'wal', f)));
      if (id) return { walFiles: files.length, wal: id };
    } catch {
      // The next file may be readable.
    }
  }
  return { walFiles: files.length };
}

function main(): number {
  const { values } = parseArgs({ options: { entry: { type: 'string' }, 'data-dir': { type: 'string' }, member: { type: 'string' } } });
  if (!values.entry || !values['data-dir'] || !values.member) {
    console.error('usage: etcd-member-guard --entry FILE --data-dir DIR --member NAME');
    return 2;
  }
  let text: string | undefined;
  try {
    text = readFileSync(values.entry, 'utf8');
  } catch {
    text = undefined;
  }
  const verdict = guardVerdict(values.member, text === undefined ? undefined : parseEntry(text), volumeFacts(values['data-dir']));
  console.log(JSON.stringify({ time: new Date().toISOString(), component: 'etcd-member-guard', member: values.member, ...verdict }));
  if (verdict.start) return 0;
  try {
    writeFileSync(TERMINATION_LOG, `${verdict.reason}: ${verdict.message}`);
  } catch {
    // No termination log (outside Kubernetes): the line above says it.
  }
  return GUARD_EXIT[verdict.reason];
}

process.exitCode = main();
