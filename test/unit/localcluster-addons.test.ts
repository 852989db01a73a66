// The local cluster's pure pieces: DNS records from Services/Endpoints, which claims the volume provisioner
// serves and the volume it makes, and the Dockerfile read that lays out the operator image.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Endpoints, V1PersistentVolumeClaim, V1Service } from '@kubernetes/client-node';
import { dnsRecords } from '../../localcluster/addons/dns.js';
import { nodeToProvision, persistentVolumeFor, PROVISIONER } from '../../localcluster/addons/volumes.js';
import { parseDockerfile } from '../../localcluster/images/dockerfile.js';
import { ROOT } from '../helpers/cluster.js';

const svc = (ns: string, name: string, clusterIP: string): V1Service => ({ metadata: { namespace: ns, name }, spec: { clusterIP } });
const ep = (ns: string, name: string, addresses: { ip: string; hostname?: string }[], notReady: { ip: string }[] = []): V1Endpoints =>
  ({ metadata: { namespace: ns, name }, subsets: [{ addresses, notReadyAddresses: notReady }] });

describe('cluster DNS records', () => {
  const services = [svc('ns', 'demo', 'None'), svc('ns', 'demo-client', '10.244.15.20'), svc('default', 'kubernetes', '10.244.15.1')];
  const endpoints = [
    ep('ns', 'demo', [{ ip: '10.244.1.2', hostname: 'demo-0' }, { ip: '10.244.2.2', hostname: 'demo-1' }]),
    // A ClusterIP Service's Endpoints never become A records of their own.
    ep('ns', 'demo-client', [{ ip: '10.244.1.2' }], [{ ip: '10.244.2.2' }]),
  ];
  const r = dnsRecords(services, endpoints, 'cluster.local');

  test('ClusterIP Services resolve to their ClusterIP, headless ones to each address, pods by hostname', () => {
    expect(r.cluster).toEqual([
      '10.244.1.2 demo-0.demo.ns.svc demo-0.demo.ns.svc.cluster.local demo.ns.svc.cluster.local',
      '10.244.15.1 kubernetes.default.svc.cluster.local',
      '10.244.15.20 demo-client.ns.svc.cluster.local',
      '10.244.2.2 demo-1.demo.ns.svc demo-1.demo.ns.svc.cluster.local demo.ns.svc.cluster.local',
    ]);
  });

  test('the host gets only pod names (ClusterIPs are routed inside nodes only)', () => {
    expect(r.host).toEqual([
      '10.244.1.2 demo-0.demo.ns.svc demo-0.demo.ns.svc.cluster.local',
      '10.244.2.2 demo-1.demo.ns.svc demo-1.demo.ns.svc.cluster.local',
    ]);
  });

  test('not-ready addresses are left out (the endpoints controller lists them as ready with publishNotReadyAddresses)', () => {
    const only = dnsRecords([svc('ns', 'x', 'None')], [ep('ns', 'x', [], [{ ip: '10.244.3.3' }])], 'cluster.local');
    expect(only).toEqual({ cluster: [], host: [] });
  });
});

describe('local-path volumes', () => {
  const cfg = { name: 'e2e', root: '/r', stateDir: '/s', dnsDir: '/s/dns', hostsTag: 't', domain: 'cluster.local' };
  const claim = (annotations: Record<string, string>, extra: Partial<V1PersistentVolumeClaim> = {}): V1PersistentVolumeClaim => ({
    metadata: { namespace: 'ns', name: 'data-demo-0', uid: 'abcdef12-3456', annotations },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'standard' },
    ...extra,
  });
  const ours = { 'volume.beta.kubernetes.io/storage-provisioner': PROVISIONER };

  test('a claim is provisioned once the scheduler chose its node, and only when it is ours', () => {
    expect(nodeToProvision(claim(ours))).toBeUndefined();
    expect(nodeToProvision(claim({ ...ours, 'volume.kubernetes.io/selected-node': 'e2e-node-2' }))).toBe('e2e-node-2');
    expect(nodeToProvision(claim({ 'volume.beta.kubernetes.io/storage-provisioner': 'other', 'volume.kubernetes.io/selected-node': 'n' }))).toBeUndefined();
    expect(nodeToProvision(claim({ ...ours, 'volume.kubernetes.io/selected-node': 'n' }, { status: { phase: 'Bound' } }))).toBeUndefined();
  });

  test('the volume lives on the chosen node: a directory of that node, node affinity, bound to the claim', () => {
    const pv = persistentVolumeFor(cfg, 'e2e-node-2', claim(ours));
    expect(pv.spec!.hostPath!.path).toBe('/s/nodes/2/volumes/ns_data-demo-0_abcdef12');
    expect(pv.spec!.nodeAffinity!.required!.nodeSelectorTerms[0].matchExpressions![0]).toEqual({ key: 'kubernetes.io/hostname', operator: 'In', values: ['e2e-node-2'] });
    expect(pv.spec!.claimRef).toMatchObject({ namespace: 'ns', name: 'data-demo-0', uid: 'abcdef12-3456' });
    expect(pv.spec!.capacity).toEqual({ storage: '2Gi' });
    expect(pv.spec!.persistentVolumeReclaimPolicy).toBe('Delete');
  });
});

describe('the Dockerfile as the operator image builder reads it', () => {
  test('the project\'s Dockerfile: its last stage, instruction by instruction', () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const final = stages[stages.length - 1];
    expect(stages[0].name).toBe('build');
    expect(final.base).toBe('node:24-bookworm-slim');
    expect(final.instructions.map((i) => i.op)).toEqual(['ENV', 'WORKDIR', 'COPY', 'COPY', 'COPY', 'COPY', 'RUN', 'USER', 'ENTRYPOINT', 'CMD']);
    expect(final.instructions).toContainEqual({ op: 'COPY', from: 'build', sources: ['/src/node_modules'], dest: 'node_modules' });
    expect(final.instructions).toContainEqual({ op: 'CMD', argv: ['etcd-controller'] });
  });

  test('continuations, ENV pairs, JSON forms; anything it does not know is an error, never skipped', () => {
    const [s] = parseDockerfile('FROM a AS b\n# c\nENV A=1 B="two words"\nRUN x \\\n  && y\nENTRYPOINT []\n');
    expect(s.instructions).toEqual([
      { op: 'ENV', vars: [['A', '1'], ['B', 'two words']] },
      { op: 'RUN', command: 'x && y' },
      { op: 'ENTRYPOINT', argv: [] },
    ]);
    expect(() => parseDockerfile('FROM a\nADD x y\n')).toThrow(/line 2: instruction ADD is not supported/);
    expect(() => parseDockerfile('COPY a b\n')).toThrow(/before FROM/);
    expect(() => parseDockerfile('FROM a\nCOPY --chown=1 a b\n')).toThrow(/--chown=1 is not supported/);
  });
});
