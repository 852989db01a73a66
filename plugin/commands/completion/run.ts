// `kubectl etcd completion bash|zsh`.
import { out } from '../../cli/output.js';
import { BASH, ZSH } from '../../completion/scripts.js';

export async function runCompletion(shell: 'bash' | 'zsh'): Promise<void> {
  out(shell === 'bash' ? BASH : ZSH);
}
