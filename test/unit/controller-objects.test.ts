// The owned objects and the start-entry format the etcd pods read.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_LABEL, type EtcdCluster } from '../../core/api.js';
import { formatEntry, headlessService, parseEntry, pdb, startScript, statefulSet, ENTRIES_DIR, DATA_DIR } from '../../controller/objects.js';
import type { MemberStartEntry } from '../../core/reconcile-step.js';

const c: EtcdCluster = { metadata: { name: 'demo', namespace: 'ns1', uid: 'u-1' }, spec: { size: 3, version: '3.5.9', storage: { size: '2Gi', storageClassName: 'fast' } } };

describe('owned objects', () => {
  it('StatefulSet: image tag from spec.version, Parallel, OnDelete, PVC template labelled but not owned', () => {
    const sts = statefulSet(c, 'gcr.io/etcd-development/etcd', 1);
    expect(sts.spec!.template.spec!.containers[0].image).toBe('gcr.io/etcd-development/etcd:v3.5.9');
    expect(sts.spec).toMatchObject({ serviceName: 'demo', replicas: 1, podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } });
    const claim = sts.spec!.volumeClaimTemplates![0];
    expect(claim.metadata).toEqual({ name: 'data', labels: { [CLUSTER_LABEL]: 'demo' } });
    expect(claim.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '2Gi' } } });
    expect(sts.metadata!.ownerReferences![0]).toMatchObject({ kind: 'EtcdCluster', name: 'demo', uid: 'u-1', controller: true });
    expect(sts.spec!.template.spec!.containers[0].readinessProbe!.httpGet).toMatchObject({ path: '/health', port: 2379 });
  });
  it('StatefulSet with storage.emptyDir: an emptyDir volume and no claim template', () => {
    const sts = statefulSet({ ...c, spec: { size: 1, storage: { emptyDir: true } } }, 'r', 1);
    expect(sts.spec!.volumeClaimTemplates).toBeUndefined();
    expect(sts.spec!.template.spec!.volumes).toContainEqual({ name: 'data', emptyDir: {} });
  });
  it('headless Service publishes not-ready addresses on 2379 and 2380', () => {
    const svc = headlessService(c);
    expect(svc.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(svc.spec!.ports!.map((p) => p.port)).toEqual([2379, 2380]);
  });
  it('PDB at the given API version and minAvailable', () => {
    expect(pdb(c, 'policy/v1beta1', 2)).toMatchObject({ apiVersion: 'policy/v1beta1', spec: { minAvailable: 2, selector: { matchLabels: { [CLUSTER_LABEL]: 'demo' } } } });
  });
});

describe('start entries', () => {
  const entry: MemberStartEntry = { state: 'existing', initialCluster: 'demo-0=http://a:2380,demo-1=http://b:2380', memberId: '00000000000000ff', addedAt: '2026-01-01T00:00:00.000Z' };
  it('round-trip through the ConfigMap text', () => {
    expect(parseEntry(formatEntry('tok', entry))).toEqual(entry);
  });
  it('reject text that is not an entry', () => {
    expect(parseEntry('INITIAL_CLUSTER_STATE=\'bogus\'\n')).toBeUndefined();
  });

  // Runs the real script with sh, with etcd replaced by a stub that prints its arguments.
  function runScript(withData: boolean, withEntry: boolean): { code: number; out: string } {
    const root = mkdtempSync(join(tmpdir(), 'etcdop-script-'));
    try {
      const bin = join(root, 'bin');
      execFileSync('mkdir', ['-p', bin, join(root, 'data', 'member', withData ? 'wal' : 'x'), join(root, 'entries')]);
      writeFileSync(join(bin, 'etcd'), '#!/bin/sh\necho "ETCD $*"\n', { mode: 0o755 });
      if (withEntry) writeFileSync(join(root, 'entries', 'demo-1'), formatEntry('tok', entry));
      const script = startScript('demo', 'ns1').replaceAll(DATA_DIR, join(root, 'data')).replaceAll(ENTRIES_DIR, join(root, 'entries'));
      try {
        const out = execFileSync('/bin/sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, POD_NAME: 'demo-1' }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
        return { code: 0, out };
      } catch (err) {
        const e = err as { status: number; stdout: Buffer; stderr: Buffer };
        return { code: e.status, out: `${e.stdout}${e.stderr}` };
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('start script: member data present -> etcd rejoins as itself, without initial-cluster flags', () => {
    const r = runScript(true, false);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rejoins as itself/);
    expect(r.out).toMatch(/ETCD --name=demo-1 .*--advertise-client-urls=http:\/\/demo-1\.demo\.ns1\.svc:2379/);
    expect(r.out).not.toMatch(/--initial-cluster=/);
  });
  it('start script: no data, entry present -> joins with the entry\'s initial cluster and state', () => {
    const r = runScript(false, true);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`--initial-cluster=${entry.initialCluster} --initial-cluster-state=existing --initial-cluster-token=tok`);
  });
  it('start script: no data, no entry -> exits non-zero with a clear line (the pod restarts until the entry exists)', () => {
    const r = runScript(false, false);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no start entry for demo-1 in ConfigMap demo-members/);
  });
});
