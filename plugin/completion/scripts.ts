// Shell scripts for `kubectl etcd completion bash|zsh`: they complete the `kubectl-etcd` command by asking
// kubectl_complete-etcd, the same program kubectl 1.26+ asks for `kubectl etcd <TAB>`.

export const BASH = `# bash completion for kubectl-etcd: source <(kubectl etcd completion bash)
# (kubectl 1.26+ completes "kubectl etcd ..." by itself when kubectl_complete-etcd is on PATH.)
_kubectl_etcd() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" line
  COMPREPLY=()
  while IFS= read -r line; do
    case "$line" in :*) continue ;; esac
    COMPREPLY+=("\${line%%$'\\t'*}")
  done < <(kubectl_complete-etcd "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -F _kubectl_etcd kubectl-etcd
`;

export const ZSH = `#compdef kubectl-etcd
# zsh completion for kubectl-etcd: source <(kubectl etcd completion zsh)
# (kubectl 1.26+ completes "kubectl etcd ..." by itself when kubectl_complete-etcd is on PATH.)
_kubectl_etcd() {
  local -a candidates
  local line
  for line in "\${(@f)$(kubectl_complete-etcd "\${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
    [[ -z $line || $line == :* ]] && continue
    candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
  done
  _describe 'kubectl-etcd' candidates
}
compdef _kubectl_etcd kubectl-etcd
`;
