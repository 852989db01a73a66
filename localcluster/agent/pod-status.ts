// Pod status from what the agent knows, following the kubelet's rules (getPhase, conditions), without I/O.
import type { V1ContainerState, V1ContainerStatus, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

export interface ContainerView {
  name: string;
  image: string;
  state: V1ContainerState;
  lastState: V1ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
}

export interface PodView {
  restartPolicy: string;
  podIP?: string;
  hostIP: string;
  startTime?: Date;
  init: ContainerView[];
  main: ContainerView[];
  /** All init containers succeeded. */
  initialized: boolean;
}

export function podPhase(v: PodView): V1PodStatus['phase'] {
  if (!v.initialized) {
    const failedInit = v.init.some((c) => c.state.terminated && c.state.terminated.exitCode !== 0);
    return failedInit && v.restartPolicy === 'Never' ? 'Failed' : 'Pending';
  }
  let running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const c of v.main) {
    if (c.state.running) running++;
    else if (c.state.terminated) { stopped++; if (c.state.terminated.exitCode === 0) succeeded++; }
    else if (c.lastState.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (v.restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  return v.restartPolicy === 'Never' ? 'Failed' : 'Running';
}

/** Conditions; a condition keeps its lastTransitionTime while its status stays the same. */
export function podConditions(v: PodView, previous: V1PodCondition[], now: Date): V1PodCondition[] {
  const notReady = v.main.filter((c) => !c.ready).map((c) => c.name);
  const uninitialized = v.init.filter((c) => !(c.state.terminated && c.state.terminated.exitCode === 0)).map((c) => c.name);
  const phase = podPhase(v);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const make = (type: string, ok: boolean, reason?: string, message?: string): V1PodCondition => {
    const prev = previous.find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    return {
      type, status, lastProbeTime: undefined,
      lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      ...(ok ? {} : { reason, message }),
    };
  };
  const unready = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const unreadyMsg = `containers with unready status: [${notReady.join(' ')}]`;
  return [
    make('Initialized', v.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${uninitialized.join(' ')}]`),
    make('Ready', notReady.length === 0 && !terminal, unready, unreadyMsg),
    make('ContainersReady', notReady.length === 0 && !terminal, unready, unreadyMsg),
    make('PodScheduled', true),
  ];
}

function containerStatus(c: ContainerView): V1ContainerStatus {
  return {
    name: c.name, image: c.image, imageID: '', ready: c.ready, started: c.started, restartCount: c.restartCount,
    state: c.state, lastState: c.lastState,
    ...(c.state.running || c.state.terminated ? { containerID: `localcluster://${c.name}-${c.restartCount}` } : {}),
  };
}

export function podStatus(v: PodView, previous: V1PodCondition[], now: Date): V1PodStatus {
  return {
    phase: podPhase(v),
    conditions: podConditions(v, previous, now),
    hostIP: v.hostIP,
    ...(v.podIP ? { podIP: v.podIP, podIPs: [{ ip: v.podIP }] } : {}),
    ...(v.startTime ? { startTime: v.startTime } : {}),
    initContainerStatuses: v.init.map(containerStatus),
    containerStatuses: v.main.map(containerStatus),
  };
}
