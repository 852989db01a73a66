// jest globalTeardown: stops the local-cluster instances that useTestCluster() started during this run
// (marker files in .local/test-started-clusters/, see cluster.ts), unless ETCDOP_KEEP_CLUSTER=1 keeps them.
// Self-contained: jest loads global hooks outside its module mapping, so it imports no project module.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export default async function teardown(_global: unknown, project: { rootDir: string }): Promise<void> {
  if (process.env.ETCDOP_KEEP_CLUSTER === '1') return;
  // Only this run's instances (cluster-setup.ts named the run): another run's clusters stay up.
  const started = join(project.rootDir, '.local/test-started-clusters', process.env.ETCDOP_TEST_RUN ?? 'unnamed-run');
  let names: string[] = [];
  try { names = readdirSync(started); } catch { return; }
  for (const name of names) {
    const down = spawnSync('bash', [join(project.rootDir, 'localcluster/scripts/cluster-down.sh'), '--name', name],
      { encoding: 'utf8', timeout: 120000 });
    if (down.status !== 0) console.error(`cluster-down --name ${name} failed:\n${down.stdout}${down.stderr}`);
    rmSync(join(started, name), { force: true });
  }
  rmSync(started, { recursive: true, force: true });
}
