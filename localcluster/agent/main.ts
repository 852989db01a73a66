// bin/localcluster-agent --kubeconfig FILE --config FILE: the local cluster's node agent (started by cluster-up.sh).
import { parseArgs } from 'node:util';
import { createLogger } from '../../core/log.js';
import { loadKubeConfig } from '../../core/kubeconfig.js';
import { Agent } from './agent.js';
import { loadConfig } from './config.js';
import { makeClients } from './kube.js';

const log = createLogger('localcluster-agent');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, config: { type: 'string' } } });
  if (!values.kubeconfig || !values.config) {
    console.error('usage: localcluster-agent --kubeconfig FILE --config AGENT_JSON   (cluster-up.sh starts it)');
    process.exit(2);
  }
  const cfg = loadConfig(values.config);
  const agent = new Agent(cfg, makeClients(loadKubeConfig({ kubeconfig: values.kubeconfig })), log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: ending pods, removing their network and hosts lines');
    agent.stop().then(() => process.exit(0), (err) => { log.error({ err: String(err) }, 'stop failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // An unexpected error in one pod's handling must not take the other pods down with the agent.
  process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => log.error({ err: err.stack ?? String(err) }, 'uncaught exception'));
  await agent.start();
}

main().catch((err) => {
  log.error({ err: String(err) }, 'agent failed to start');
  process.exit(1);
});
