// Rule V11 and warning W9: spec.podTemplate and spec.etcdOptions are admitted only as far as the controller
// applies them, and a change says it restarts every member one at a time.
import type { EtcdClusterStatus } from '../../core/api.js';
import { evaluateAdmission } from '../../core/policy.js';

const status: EtcdClusterStatus = {
  observedGeneration: 1,
  size: 3,
  members: [0, 1, 2].map((k) => ({ name: `demo-${k}`, id: `000000000000000${k + 1}`, isLearner: false, healthy: true })),
  conditions: [],
};
const create = (spec: object) => evaluateAdmission({ operation: 'CREATE', name: 'demo', newSize: 3, newSpec: { size: 3, ...spec } });
const update = (oldSpec: object, newSpec: object, newSize = 3) =>
  evaluateAdmission({ operation: 'UPDATE', name: 'demo', oldSize: 3, newSize, oldSpec: { size: 3, ...oldSpec }, newSpec: { size: newSize, ...newSpec }, status, generation: 1 });

describe('V11: only what the controller merges into the etcd pods', () => {
  it('admits every merged field and every etcd option within bounds', () => {
    const v = create({
      podTemplate: {
        metadata: { labels: { team: 'a' }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } },
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } },
            podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } }] },
          },
          nodeSelector: { zone: 'a' },
          tolerations: [{ key: 'k', operator: 'Exists' }, { key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoExecute', tolerationSeconds: 30 }, { operator: 'Exists' }],
          priorityClassName: 'system-cluster-critical',
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'etcd' } } }],
        },
      },
      etcdOptions: { quotaBackendBytes: 8589934592, autoCompactionMode: 'periodic', autoCompactionRetention: '1h', heartbeatInterval: 200, electionTimeout: 2000, snapshotCount: 10000 },
    });
    expect(v).toMatchObject({ allowed: true });
  });

  it.each([
    [{ podTemplate: { spec: { containers: [] } } }, 'spec.podTemplate.spec.containers is not merged into the etcd pods (spec.podTemplate.spec takes resources, affinity, nodeSelector, tolerations, priorityClassName, topologySpreadConstraints)'],
    [{ podTemplate: { metadata: { name: 'x' } } }, 'spec.podTemplate.metadata.name is not merged'],
    [{ podTemplate: { metadata: { labels: { 'etcd.k8s-operator.io/cluster': 'other' } } } }, 'key "etcd.k8s-operator.io/cluster" is the operator\'s own'],
    [{ podTemplate: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'me' } } } }, 'key "app.kubernetes.io/managed-by" is the operator\'s own'],
    [{ podTemplate: { metadata: { labels: { team: 'a b' } } } }, 'value "a b" is not a label value'],
    [{ podTemplate: { spec: { resources: { requests: { cpu: 'lots' } } } } }, 'spec.podTemplate.spec.resources.requests.cpu is "lots", not a quantity'],
    [{ podTemplate: { spec: { resources: { requests: { gpu: '1' } } } } }, 'requests.gpu is not a container resource'],
    [{ podTemplate: { spec: { resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } } } }, 'the memory request (2Gi) is above its limit (1Gi)'],
    [{ podTemplate: { spec: { affinity: { nodeSelector: {} } } } }, 'spec.podTemplate.spec.affinity.nodeSelector is not merged'],
    [{ podTemplate: { spec: { tolerations: 'all' } } }, 'spec.podTemplate.spec.tolerations must be a list of objects'],
    [{ podTemplate: { spec: { priorityClassName: 'Not_A_Name' } } }, 'priorityClassName "Not_A_Name" is not a PriorityClass name'],
    // Deep shapes Kubernetes 1.20 checks only when it creates the pod (not in a StatefulSet's template).
    [{ podTemplate: { spec: { tolerations: [{ key: 'dedicated', operator: 'Sometimes' }] } } }, 'spec.podTemplate.spec.tolerations[0].operator is "Sometimes": it must be one of Equal, Exists'],
    [{ podTemplate: { spec: { tolerations: [{ key: 'a', effect: 'NoWay' }] } } }, 'tolerations[0].effect is "NoWay": it must be one of NoSchedule, PreferNoSchedule, NoExecute'],
    [{ podTemplate: { spec: { tolerations: [{ value: 'x' }] } } }, 'tolerations[0]: a toleration without a key must have operator Exists'],
    [{ podTemplate: { spec: { tolerations: [{ key: 'a', operator: 'Equal', tolerationSeconds: 5 }] } } }, 'tolerationSeconds applies only with effect NoExecute'],
    [{ podTemplate: { spec: { topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Maybe' }] } } }, 'topologySpreadConstraints[0].whenUnsatisfiable is "Maybe"'],
    [{ podTemplate: { spec: { topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] } } }, 'topologySpreadConstraints[0].maxSkew must be a whole number of at least 1'],
    [{ podTemplate: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } } } }, 'nodeSelectorTerms must be a list of at least one term'],
    [{ podTemplate: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In' }] }] } } } } } }, 'matchExpressions[0]: operator In needs at least one value'],
    [{ podTemplate: { spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 500, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } } } } }, 'preferredDuringSchedulingIgnoredDuringExecution[0].weight must be a whole number from 1 to 100'],
    [{ podTemplate: { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } } }] } } } } }, 'requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey undefined must be a node label key'],
    [{ podTemplate: { spec: { nodeSelector: { 'bad key!': 'x' } } } }, 'nodeSelector key "bad key!" is not a label key'],
    [{ etcdOptions: { quotaBackendBytes: 17179869184 } }, 'quotaBackendBytes is 17179869184: it must be a whole number of bytes from 67108864 (64 MiB) to 8589934592 (8 GiB'],
    [{ etcdOptions: { quotaBackendBytes: 1024 } }, 'quotaBackendBytes is 1024'],
    [{ etcdOptions: { electionTimeout: 400 } }, 'the election timeout (400 ms) must be at least 5 heartbeat intervals (100 ms, etcd\'s default x 5 = 500 ms)'],
    [{ etcdOptions: { heartbeatInterval: 300 } }, 'the election timeout (1000 ms, etcd\'s default) must be at least 5 heartbeat intervals (300 ms x 5 = 1500 ms)'],
    [{ etcdOptions: { electionTimeout: 60000 } }, 'from 50 to 50000 (etcd\'s maximum)'],
    [{ etcdOptions: { autoCompactionRetention: 'daily' } }, 'a duration such as "1h" or "30m"'],
    [{ etcdOptions: { autoCompactionMode: 'revision', autoCompactionRetention: '1h' } }, 'the number of revisions to keep'],
    [{ etcdOptions: { snapshotCount: 10 } }, 'snapshotCount is 10: it must be a whole number of at least 1000'],
    [{ etcdOptions: { maxTxnOps: 256 } }, 'spec.etcdOptions.maxTxnOps is not an option the operator sets'],
  ])('denies %j at creation, naming the field and the bound', (spec, text) => {
    const v = create(spec);
    expect(v).toMatchObject({ allowed: false, rule: 'V11' });
    expect(v.message).toMatch(/^V11: the pod settings of demo cannot be applied: /);
    expect(v.message).toContain(text);
    expect(v.message).toContain('apply again');
  });

  it('names every problem at once', () => {
    const v = create({ podTemplate: { spec: { hostNetwork: true } }, etcdOptions: { snapshotCount: 1 } });
    expect(v.message).toContain('spec.podTemplate.spec.hostNetwork');
    expect(v.message).toContain('snapshotCount is 1');
  });

  it('on UPDATE, judges the pod settings only when they change: an object admitted before stays resizable', () => {
    const bad = { etcdOptions: { snapshotCount: 10 } };
    expect(update(bad, bad, 5).rule).not.toBe('V11');
    expect(update({}, bad)).toMatchObject({ allowed: false, rule: 'V11' });
  });
});

describe('W9: a change of the pod settings restarts every member, one at a time', () => {
  it('warns on a podTemplate or etcdOptions change, naming what changed', () => {
    const v = update({}, { podTemplate: { spec: { resources: { requests: { cpu: '1' } } } }, etcdOptions: { quotaBackendBytes: 4294967296 } });
    expect(v.allowed).toBe(true);
    expect(v.warnings).toContainEqual(expect.stringMatching(/^W9: spec\.podTemplate and spec\.etcdOptions changed: every member of demo restarts to apply it, one at a time \(followers first, the leader last/));
  });
  it('says nothing when nothing that rolls changed (options spelled in another order included)', () => {
    const a = { etcdOptions: { quotaBackendBytes: 4294967296, snapshotCount: 5000 } };
    const b = { etcdOptions: { snapshotCount: 5000, quotaBackendBytes: 4294967296 } };
    expect(update(a, b).warnings.filter((w) => w.startsWith('W9'))).toEqual([]);
    expect(update({}, {}).warnings.filter((w) => w.startsWith('W9'))).toEqual([]);
  });
});

describe('V11: a priorityClassName that names no PriorityClass (the webhook asks the API server)', () => {
  it('is denied, saying how to list them', () => {
    const v = evaluateAdmission({ operation: 'CREATE', name: 'demo', newSize: 3, newSpec: { size: 3, podTemplate: { spec: { priorityClassName: 'etcd-critical' } } }, missingPriorityClass: 'etcd-critical' });
    expect(v).toMatchObject({ allowed: false, rule: 'V11' });
    expect(v.message).toContain('spec.podTemplate.spec.priorityClassName "etcd-critical" names no PriorityClass (kubectl get priorityclasses lists them)');
  });
});

describe('V7: spec.tls is fixed once the cluster exists', () => {
  it.each([
    [{}, { tls: { enabled: true } }, 'from TLS off to TLS from the operator\'s own CA'],
    [{ tls: { enabled: true } }, { tls: { enabled: false } }, 'from TLS from the operator\'s own CA to TLS off'],
    [{ tls: { enabled: true } }, { tls: { enabled: true, issuerRef: { name: 'ca', kind: 'ClusterIssuer' } } }, 'to TLS from cert-manager ClusterIssuer ca'],
  ])('denies %j -> %j', (before, after, text) => {
    const v = update(before, after);
    expect(v).toMatchObject({ allowed: false, rule: 'V7' });
    expect(v.message).toContain('V7: spec.tls of demo cannot change on a running cluster');
    expect(v.message).toContain(text);
  });
  it('allows spelling the same setting out (enabled: false is off)', () => {
    expect(update({}, { tls: { enabled: false } }).allowed).toBe(true);
    expect(update({ tls: { enabled: true } }, { tls: { enabled: true } }).allowed).toBe(true);
  });
});
