// Prints the completion candidates for `words` (what kubectl_complete-etcd and the hidden `kubectl-etcd
// __complete` do, the latter for standalone builds that ship one executable). Never fails loudly.
import { completionLines } from './candidates.js';
import { liveSources } from './sources.js';
import { closeConnections } from '../kube/http.js';

export async function printCompletions(words: string[]): Promise<void> {
  try {
    process.stdout.write(`${(await completionLines(words, liveSources)).join('\n')}\n`);
  } catch {
    // Completion must never print an error into the user's command line.
    process.stdout.write(':4\n');
  } finally {
    closeConnections();
  }
}
