// The owned objects and the start-entry format the etcd pods read.
import { parse } from 'yaml';
import { CLUSTER_LABEL, type EtcdCluster } from '../../core/api.js';
import { formatEntry, headlessService, membersConfigMap, networkPolicy, parseEntry, pdb, statefulSet, templateHashOf, ENTRIES_DIR } from '../../controller/objects.js';
import type { MemberStartEntry } from '../../core/member-entry.js';

const c: EtcdCluster = { metadata: { name: 'demo', namespace: 'ns1', uid: 'u-1' }, spec: { size: 3, version: '3.5.9', storage: { size: '2Gi', storageClassName: 'fast' } } };
const images = { etcdRepository: 'gcr.io/etcd-development/etcd', guard: 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator:9.9.9' };

describe('owned objects', () => {
  it('StatefulSet: image tag from spec.version, Parallel, OnDelete, PVC template labelled but not owned', () => {
    const sts = statefulSet(c, images, 1);
    expect(sts.spec!.template.spec!.containers[0].image).toBe('gcr.io/etcd-development/etcd:v3.5.9');
    expect(sts.spec).toMatchObject({ serviceName: 'demo', replicas: 1, podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } });
    const claim = sts.spec!.volumeClaimTemplates![0];
    expect(claim.metadata).toEqual({ name: 'data', labels: { [CLUSTER_LABEL]: 'demo' } });
    expect(claim.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '2Gi' } } });
    expect(sts.metadata!.ownerReferences![0]).toMatchObject({ kind: 'EtcdCluster', name: 'demo', uid: 'u-1', controller: true });
    expect(sts.spec!.template.spec!.containers[0].readinessProbe!.httpGet).toMatchObject({ path: '/health', port: 2381 });
  });
  it('StatefulSet: the member guard runs before etcd, from the operator\'s image, on the same volumes read-only', () => {
    const pod = statefulSet(c, images, 1).spec!.template.spec!;
    const guard = pod.initContainers![0];
    expect(guard).toMatchObject({ name: 'member-guard', image: images.guard, command: ['etcd-member-guard'] });
    expect(guard.args).toEqual(['--entry', `${ENTRIES_DIR}/$(POD_NAME)`, '--data-dir', '/var/lib/etcd', '--member', '$(POD_NAME)']);
    expect(guard.volumeMounts).toEqual(pod.containers[0].volumeMounts!.map((m) => ({ ...m, readOnly: true })));
  });
  it('StatefulSet with storage.emptyDir: an emptyDir volume and no claim template', () => {
    const sts = statefulSet({ ...c, spec: { size: 1, storage: { emptyDir: true } } }, images, 1);
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

describe('start entries: the member\'s etcd config file', () => {
  const entry: MemberStartEntry = { state: 'existing', initialCluster: 'demo-0=http://a:2380,demo-1=http://b:2380', memberId: '00000000000000ff', addedAt: '2026-01-01T00:00:00.000Z' };
  const ctx = { cluster: 'demo', namespace: 'ns1', token: 'tok' };

  it('round-trips through the ConfigMap text', () => {
    expect(parseEntry(formatEntry(ctx, 'demo-1', entry))).toEqual(entry);
    const { memberId: _omit, ...bootstrap } = { ...entry, state: 'new' as const };
    expect(parseEntry(formatEntry(ctx, 'demo-0', bootstrap))).toEqual(bootstrap);
  });
  it('rejects text that is not an entry', () => {
    expect(parseEntry("initial-cluster-state: 'bogus'\n")).toBeUndefined();
    expect(parseEntry("initial-cluster-state: 'new'\n")).toBeUndefined();
  });
  it('is a complete etcd config (--config-file makes etcd ignore every flag) with the member\'s own URLs', () => {
    const cfg = parse(formatEntry(ctx, 'demo-1', entry)) as Record<string, string>;
    expect(cfg).toEqual({
      name: 'demo-1',
      'data-dir': '/var/lib/etcd',
      'listen-peer-urls': 'http://0.0.0.0:2380',
      'listen-client-urls': 'http://0.0.0.0:2379',
      'advertise-client-urls': 'http://demo-1.demo.ns1.svc:2379',
      'initial-advertise-peer-urls': 'http://demo-1.demo.ns1.svc:2380',
      'initial-cluster': entry.initialCluster,
      'initial-cluster-state': 'existing',
      'initial-cluster-token': 'tok',
      'listen-metrics-urls': 'http://0.0.0.0:2381',
    });
  });
  it('the ConfigMap holds one file per member, named as the pod, with the cluster token', () => {
    const cm = membersConfigMap(c, { 'demo-0': { ...entry, state: 'new' }, 'demo-1': entry });
    expect(Object.keys(cm.data!)).toEqual(['demo-0', 'demo-1']);
    expect(parse(cm.data!['demo-1'])).toMatchObject({ name: 'demo-1', 'initial-cluster-token': 'demo-u-1' });
  });
  it('the etcd container runs etcd itself, no shell (official images are distroless), reading its own entry', () => {
    const container = statefulSet(c, images, 1).spec!.template.spec!.containers[0];
    expect(container.command).toEqual(['/usr/local/bin/etcd']);
    expect(container.args).toEqual([`--config-file=${ENTRIES_DIR}/$(POD_NAME)`]);
    expect(container.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(container.volumeMounts).toContainEqual({ name: 'members', mountPath: ENTRIES_DIR, readOnly: true });
  });
});

describe('etcd pods: hardened by default, spread, the user\'s podTemplate merged in', () => {
  const podOf = (x: EtcdCluster) => statefulSet(x, images, 1).spec!.template;
  it('runs as a fixed non-root user with a read-only root, no privilege escalation, no capabilities, seccomp RuntimeDefault', () => {
    const spec = podOf(c).spec!;
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    for (const x of [...spec.initContainers!, ...spec.containers]) {
      expect(x.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(x.resources!.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    }
  });
  it('prefers one member per node, probes the plain-HTTP metrics listener; liveness by what the version serves', () => {
    const spec = podOf(c).spec!;
    expect(spec.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { [CLUSTER_LABEL]: 'demo' } } } },
    ]);
    const etcd = spec.containers[0];
    expect(etcd.ports!.map((p) => p.containerPort)).toEqual([2379, 2380, 2381]);
    // 3.5.9 has no /livez (3.5.11 on); a probe on /health would restart members of a cluster without a leader.
    expect(etcd.livenessProbe!.httpGet).toEqual({ path: '/metrics', port: 2381 });
    expect(podOf({ ...c, spec: { ...c.spec, version: '3.5.16' } }).spec!.containers[0].livenessProbe!.httpGet).toEqual({ path: '/livez', port: 2381 });
    expect(podOf({ ...c, spec: { ...c.spec, version: '3.4.23' } }).spec!.containers[0].livenessProbe!.httpGet!.path).toBe('/metrics');
    expect(podOf({ ...c, spec: { ...c.spec, version: '3.4.29' } }).spec!.containers[0].livenessProbe!.httpGet!.path).toBe('/livez');
  });
  it('merges spec.podTemplate: the user\'s labels beside ours (ours win), annotations, resources, each affinity kind, placement fields', () => {
    const nodeAffinity = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } };
    const t = podOf({
      ...c,
      spec: {
        ...c.spec,
        podTemplate: {
          metadata: { labels: { team: 'a', 'app.kubernetes.io/name': 'not-etcd' }, annotations: { 'prometheus.io/scrape': 'true' } },
          spec: {
            resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } },
            affinity: { nodeAffinity },
            nodeSelector: { zone: 'z1' },
            tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoSchedule' }],
            priorityClassName: 'system-cluster-critical',
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { [CLUSTER_LABEL]: 'demo' } } }],
          },
        },
      },
    });
    expect(t.metadata!.labels).toMatchObject({ team: 'a', 'app.kubernetes.io/name': 'etcd', [CLUSTER_LABEL]: 'demo' });
    expect(t.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'true' });
    expect(t.spec!.containers[0].resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } });
    expect(t.spec!.initContainers![0].resources!.requests).toEqual({ cpu: '10m', memory: '64Mi' });
    // nodeAffinity added; the default spread kept, as the user gave no podAntiAffinity.
    expect(t.spec!.affinity!.nodeAffinity).toEqual(nodeAffinity);
    expect(t.spec!.affinity!.podAntiAffinity).toEqual(podOf(c).spec!.affinity!.podAntiAffinity);
    expect(t.spec).toMatchObject({ nodeSelector: { zone: 'z1' }, priorityClassName: 'system-cluster-critical' });
    expect(t.spec!.tolerations).toHaveLength(1);
    expect(t.spec!.topologySpreadConstraints).toHaveLength(1);
    // The user's podAntiAffinity replaces the default one.
    const own = podOf({ ...c, spec: { ...c.spec, podTemplate: { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [] } } } } } });
    expect(own.spec!.affinity).toEqual({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [] } });
  });
  it('a podTemplate or etcdOptions change is a new template (it rolls out); spelling the options in another order is not', () => {
    const hash = (x: EtcdCluster) => templateHashOf(podOf(x));
    const base = hash(c);
    expect(hash({ ...c, spec: { ...c.spec, podTemplate: { spec: { resources: { requests: { cpu: '200m' } } } } } })).not.toBe(base);
    const a = hash({ ...c, spec: { ...c.spec, etcdOptions: { quotaBackendBytes: 4294967296, snapshotCount: 5000 } } });
    const b = hash({ ...c, spec: { ...c.spec, etcdOptions: { snapshotCount: 5000, quotaBackendBytes: 4294967296 } } });
    expect(a).not.toBe(base);
    expect(a).toBe(b);
    expect(hash({ ...c, spec: { ...c.spec, etcdOptions: {} } })).toBe(base);
  });
});

describe('spec.etcdOptions in the members\' config files', () => {
  const entry: MemberStartEntry = { state: 'existing', initialCluster: 'demo-0=http://a:2380', memberId: '00000000000000ff', addedAt: '2026-01-01T00:00:00.000Z' };
  it('written as etcd\'s own keys and types, and the entry still parses back', () => {
    const ctx = { cluster: 'demo', namespace: 'ns1', token: 'tok', options: { electionTimeout: 2500, quotaBackendBytes: 8589934592, autoCompactionMode: 'periodic' as const, autoCompactionRetention: '1h', heartbeatInterval: 250, snapshotCount: 20000 } };
    const text = formatEntry(ctx, 'demo-0', entry);
    expect(parse(text)).toMatchObject({ 'quota-backend-bytes': 8589934592, 'auto-compaction-mode': 'periodic', 'auto-compaction-retention': '1h', 'heartbeat-interval': 250, 'election-timeout': 2500, 'snapshot-count': 20000 });
    expect(parseEntry(text)).toEqual(entry);
  });
  it('the ConfigMap takes them from the cluster\'s spec', () => {
    const cm = membersConfigMap({ ...c, spec: { ...c.spec, etcdOptions: { quotaBackendBytes: 4294967296 } } }, { 'demo-0': entry });
    expect(parse(cm.data!['demo-0'])).toMatchObject({ 'quota-backend-bytes': 4294967296 });
  });
});

describe('a TLS cluster\'s pods and config files (spec.tls.enabled)', () => {
  const t: EtcdCluster = { ...c, spec: { ...c.spec, tls: { enabled: true } } };
  it('mounts Secret NAME-tls-member read-only where the config file points (group-readable only), not into the guard', () => {
    const spec = statefulSet(t, images, 1).spec!.template.spec!;
    expect(spec.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'demo-tls-member', defaultMode: 0o440 } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/etcd-tls/member', readOnly: true });
    expect(spec.initContainers![0].volumeMounts!.map((m) => m.name)).toEqual(['data', 'members']);
    // Probes stay on the plain-HTTP metrics listener: the kubelet has no client certificate.
    expect(spec.containers[0].readinessProbe!.httpGet).toEqual({ path: '/health', port: 2381 });
    expect(statefulSet(c, images, 1).spec!.template.spec!.volumes!.map((v) => v.name)).toEqual(['members']);
  });
  it('serves https on both listeners with client certificates required, and advertises https URLs', () => {
    const cm = membersConfigMap(t, { 'demo-0': { state: 'new', initialCluster: 'demo-0=https://demo-0.demo.ns1.svc:2380', addedAt: '2026-01-01T00:00:00.000Z' } });
    const cfg = parse(cm.data!['demo-0']) as Record<string, unknown>;
    expect(cfg).toMatchObject({
      'listen-peer-urls': 'https://0.0.0.0:2380', 'listen-client-urls': 'https://0.0.0.0:2379',
      'advertise-client-urls': 'https://demo-0.demo.ns1.svc:2379', 'initial-advertise-peer-urls': 'https://demo-0.demo.ns1.svc:2380',
      'listen-metrics-urls': 'http://0.0.0.0:2381',
    });
    const security = { 'cert-file': '/etc/etcd-tls/member/tls.crt', 'key-file': '/etc/etcd-tls/member/tls.key', 'trusted-ca-file': '/etc/etcd-tls/member/ca.crt', 'client-cert-auth': true };
    expect(cfg['client-transport-security']).toEqual(security);
    expect(cfg['peer-transport-security']).toEqual(security);
    expect(parseEntry(cm.data!['demo-0'])).toMatchObject({ state: 'new', initialCluster: 'demo-0=https://demo-0.demo.ns1.svc:2380' });
  });
});

describe('NetworkPolicy (--network-policies)', () => {
  it('peers from the members only; the client port from the cluster\'s namespace, the operator\'s and those named; metrics open', () => {
    const np = networkPolicy({ ...c, spec: { ...c.spec, networkPolicy: { clientNamespaces: ['apps', 'ns1'] } } }, 'etcd-operator-system');
    expect(np.metadata).toMatchObject({ name: 'demo', namespace: 'ns1', ownerReferences: [expect.objectContaining({ kind: 'EtcdCluster', name: 'demo' })] });
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { [CLUSTER_LABEL]: 'demo' } },
      policyTypes: ['Ingress'],
      ingress: [
        { _from: [{ podSelector: { matchLabels: { [CLUSTER_LABEL]: 'demo' } } }], ports: [{ protocol: 'TCP', port: 2380 }] },
        { _from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['apps', 'etcd-operator-system', 'ns1'] }] } }], ports: [{ protocol: 'TCP', port: 2379 }] },
        { ports: [{ protocol: 'TCP', port: 2381 }] },
      ],
    });
  });
});
