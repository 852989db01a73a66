// Pure decisions of the local cluster's node agent: image mapping, $(VAR) expansion, addresses, pod status.
import { resolveProgram, repositoryOf, type HostFs } from '../../localcluster/agent/images.js';
import { expandVars } from '../../localcluster/agent/expand.js';
import { AddressPool } from '../../localcluster/agent/ipam.js';
import { podPhase, podStatus, type ContainerView, type PodView } from '../../localcluster/agent/pod-status.js';
import { backoffMs, launchScript, shq } from '../../localcluster/agent/container.js';
import { podDnsLines } from '../../localcluster/agent/hosts.js';

const fs = (paths: string[]): HostFs => ({ isExecutable: (p) => paths.includes(p) });
const host = fs(['/usr/bin/etcd', '/usr/bin/etcdctl', '/bin/sh', '/usr/bin/openssl', '/repo/bin/etcd-controller']);

describe('image mapping', () => {
  it('runs etcd images with Debian programs, following the image defaults', () => {
    expect(resolveProgram('gcr.io/etcd-development/etcd:v3.6.5', undefined, undefined, '/repo', host))
      .toEqual({ ok: true, path: '/usr/bin/etcd', args: [] });
    expect(resolveProgram('quay.io/coreos/etcd:v3.4.23', ['/usr/local/bin/etcd'], ['--name=a'], '/repo', host))
      .toEqual({ ok: true, path: '/usr/bin/etcd', args: ['--name=a'] });
    expect(resolveProgram('registry.k8s.io/etcd:3.5.9-0', ['etcdctl', 'get'], ['k'], '/repo', host))
      .toEqual({ ok: true, path: '/usr/bin/etcdctl', args: ['get', 'k'] });
    expect(resolveProgram('gcr.io/etcd-development/etcd:v3.6.5', ['/bin/sh', '-c', 'x'], undefined, '/repo', host))
      .toEqual({ ok: true, path: '/bin/sh', args: ['-c', 'x'] });
    expect(resolveProgram('gcr.io/etcd-development/etcd:v3.6.5', ['openssl'], undefined, '/repo', host))
      .toEqual({ ok: true, path: '/usr/bin/openssl', args: [] });
  });

  it('runs the operator image as bin/<command[0]>', () => {
    expect(resolveProgram('ghcr.io/etcd-k8s-operator/etcd-k8s-operator:0.1.0', ['etcd-controller'], ['--x'], '/repo', host))
      .toEqual({ ok: true, path: '/repo/bin/etcd-controller', args: ['--x'] });
    const missing = resolveProgram('ghcr.io/etcd-k8s-operator/etcd-k8s-operator:0.1.0', ['node'], undefined, '/repo', host);
    expect(missing).toMatchObject({ ok: false, reason: 'RunContainerError' });
  });

  it('refuses other images with ErrImagePull and a clear message, and unknown programs with RunContainerError', () => {
    const r = resolveProgram('nginx@sha256:abc', undefined, undefined, '/repo', host);
    expect(r).toMatchObject({ ok: false, reason: 'ErrImagePull' });
    expect(!r.ok && r.message).toContain('image "nginx@sha256:abc" is not runnable on the local node agent');
    expect(resolveProgram('gcr.io/etcd-development/etcd:v3.6.5', ['/opt/nothing'], undefined, '/repo', host))
      .toMatchObject({ ok: false, reason: 'RunContainerError' });
    expect(resolveProgram('example.com/not-etcd:1', undefined, undefined, '/repo', host)).toMatchObject({ ok: false, reason: 'ErrImagePull' });
  });

  it('splits repository from tag and digest, registry ports included', () => {
    expect(repositoryOf('localhost:5000/etcd:v1')).toBe('localhost:5000/etcd');
    expect(repositoryOf('etcd@sha256:1')).toBe('etcd');
    expect(repositoryOf('localhost:5000/etcd')).toBe('localhost:5000/etcd');
  });
});

describe('$(VAR) expansion', () => {
  const vars = new Map([['POD_NAME', 'etcd-0'], ['NS', 'a']]);
  it('expands defined variables, keeps undefined ones and honours $$ escapes', () => {
    expect(expandVars('--name=$(POD_NAME).$(NS)', vars)).toBe('--name=etcd-0.a');
    expect(expandVars('$(MISSING) $$(POD_NAME) $ $(', vars)).toBe('$(MISSING) $(POD_NAME) $ $(');
  });
});

describe('address pool', () => {
  it('hands out .2 upwards below the Service range, never twice, rotating past freed addresses', () => {
    const pool = new AddressPool('10.244.16.0/20', '10.244.31.0/24');
    expect(pool.allocate()).toBe('10.244.16.2');
    expect(pool.claim('10.244.16.3')).toBe(true);
    expect(pool.claim('10.244.16.3')).toBe(false);
    expect(pool.claim('10.244.31.5')).toBe(false);
    expect(pool.allocate()).toBe('10.244.16.4');
    pool.release('10.244.16.2');
    expect(pool.allocate()).toBe('10.244.16.5');
  });

  it('fails clearly when exhausted', () => {
    const pool = new AddressPool('10.244.0.0/29', '10.244.0.4/30');
    expect(pool.allocate()).toBe('10.244.0.2');
    expect(pool.allocate()).toBe('10.244.0.3');
    expect(() => pool.allocate()).toThrow(/exhausted/);
  });
});

describe('pod status', () => {
  const c = (over: Partial<ContainerView>): ContainerView => ({
    name: 'c', image: 'i', state: { running: { startedAt: new Date(0) } }, lastState: {}, ready: true, started: true, restartCount: 0, ...over,
  });
  const view = (main: ContainerView[], restartPolicy = 'Always'): PodView => ({ restartPolicy, hostIP: '10.244.0.1', podIP: '10.244.0.2', init: [], main, initialized: true });

  it('derives the phase as the kubelet does', () => {
    expect(podPhase(view([c({}), c({ state: { waiting: { reason: 'ErrImagePull' } }, ready: false })]))).toBe('Pending');
    expect(podPhase(view([c({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3 } } })]))).toBe('Running');
    expect(podPhase(view([c({ state: { terminated: { exitCode: 0 } } })], 'Never'))).toBe('Succeeded');
    expect(podPhase(view([c({ state: { terminated: { exitCode: 1 } } })], 'Never'))).toBe('Failed');
    expect(podPhase({ ...view([c({})]), initialized: false })).toBe('Pending');
  });

  it('reports readiness conditions and keeps transition times while a condition holds', () => {
    const t0 = new Date(1000), t1 = new Date(2000);
    const first = podStatus(view([c({ ready: false })]), [], t0);
    expect(first.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', lastTransitionTime: t0 });
    const second = podStatus(view([c({ ready: false })]), first.conditions!, t1);
    expect(second.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime).toBe(t0);
    const third = podStatus(view([c({})]), second.conditions!, t1);
    expect(third.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: t1 });
    expect(third).toMatchObject({ phase: 'Running', podIP: '10.244.0.2', hostIP: '10.244.0.1', podIPs: [{ ip: '10.244.0.2' }] });
  });
});

describe('container launch', () => {
  it('backs off 1 s doubling to a 10 s cap', () => {
    expect([1, 2, 3, 4, 5, 9].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('quotes every path in the mount script', () => {
    expect(shq("it's")).toBe(`'it'\\''s'`);
    const script = launchScript([{ source: '/s/a b', target: "/t/x'y", readOnly: true }], 'pod-0', '/w');
    expect(script).toContain(`mount --bind '/s/a b' '/t/x'\\''y'`);
    expect(script).toContain(`mount -o remount,bind,ro '/t/x'\\''y'`);
    expect(script).toContain(`hostname 'pod-0'`);
    expect(script.trim().endsWith('exec "$@"')).toBe(true);
  });
});

describe('pod DNS lines', () => {
  const ep = (ns: string, name: string, addresses: { ip: string; hostname?: string }[], notReady: { ip: string; hostname?: string }[] = []) =>
    ({ metadata: { namespace: ns, name }, subsets: [{ addresses, notReadyAddresses: notReady }] });
  it('serves hostnames of live addresses in headless Services\' Endpoints, as cluster DNS does', () => {
    const endpoints = [
      ep('a', 'etcd', [{ ip: '10.244.0.2', hostname: 'etcd-0' }, { ip: '10.244.0.3', hostname: 'etcd-1' }, { ip: '10.244.0.9', hostname: 'gone' }],
        [{ ip: '10.244.0.4', hostname: 'etcd-2' }]),
      ep('a', 'web', [{ ip: '10.244.0.5', hostname: 'web-0' }]), // not headless
      ep('a', 'plain', [{ ip: '10.244.0.6' }]), // no hostname
    ];
    const live = new Set(['10.244.0.2', '10.244.0.3', '10.244.0.4', '10.244.0.5', '10.244.0.6']);
    expect(podDnsLines(endpoints, (_ns, name) => name !== 'web', live)).toEqual([
      '10.244.0.2 etcd-0.etcd.a.svc etcd-0.etcd.a.svc.cluster.local',
      '10.244.0.3 etcd-1.etcd.a.svc etcd-1.etcd.a.svc.cluster.local',
    ]);
  });
});
