import * as k8s from '@kubernetes/client-node';

// The toolchain check the foundation promises: jest (ESM) runs TypeScript that imports the ESM-only client.
describe('@kubernetes/client-node under jest ESM', () => {
  it('loads a kubeconfig and builds a typed API client', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://10.244.0.1:6443', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'ns1' }],
      currentContext: 'x',
    });
    expect(kc.getCurrentCluster()?.server).toBe('https://10.244.0.1:6443');
    expect(kc.getContextObject('x')?.namespace).toBe('ns1');
    const api = kc.makeApiClient(k8s.CoreV1Api);
    expect(typeof api.listNamespacedPod).toBe('function');
  });
});
