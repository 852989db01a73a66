// bin/localcluster-addons --kubeconfig FILE --config FILE: the local cluster's add-ons that run on the host
// (started by cluster-up.sh): cluster DNS records for dnsmasq and /etc/hosts, and the local-path volume
// provisioner. Kubelets, containerd and the control plane are the real programs; these two are what a
// cluster installer adds (CoreDNS, a storage provisioner), kept small.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../../core/log.js';
import { loadKubeConfig } from '../../core/kubeconfig.js';
import { loadConfig } from './config.js';
import { ClusterDns } from './dns.js';
import { HostsFile } from './hosts.js';
import { makeClients } from './kube.js';
import { VolumeProvisioner } from './volumes.js';

const log = createLogger('localcluster-addons');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, config: { type: 'string' } } });
  if (!values.kubeconfig || !values.config) {
    console.error('usage: localcluster-addons --kubeconfig FILE --config ADDONS_JSON   (cluster-up.sh starts it)');
    process.exit(2);
  }
  const cfg = loadConfig(values.config);
  const clients = makeClients(loadKubeConfig({ kubeconfig: values.kubeconfig }));
  const hosts = new HostsFile(join(cfg.root, 'localcluster/scripts/hosts-set.sh'), cfg.hostsTag, log);
  const dns = new ClusterDns(clients, cfg.dnsDir, cfg.domain, hosts, log);
  const volumes = new VolumeProvisioner(cfg, clients, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: removing this instance\'s /etc/hosts lines');
    Promise.all([dns.stop(), volumes.stop()]).then(() => process.exit(0), (err) => { log.error({ err: String(err) }, 'stop failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'unhandled rejection'));
  dns.start();
  volumes.start();
  log.info({ instance: cfg.name }, 'cluster DNS and volume provisioner running');
}

main().catch((err) => {
  log.error({ err: String(err) }, 'add-ons failed to start');
  process.exit(1);
});
