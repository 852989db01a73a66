#!/usr/bin/env node
// kubectl_complete-etcd: what kubectl 1.26+ runs for `kubectl etcd <TAB>` (and the scripts of
// `kubectl etcd completion` run for `kubectl-etcd <TAB>`): the words after `etcd` in, candidates out.
import module from 'node:module';

module.enableCompileCache?.();

void import('./completion/print.js').then(({ printCompletions }) => printCompletions(process.argv.slice(2)));
