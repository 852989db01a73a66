// The truthful record (SPEC.md, "Truthful record") on the local cluster: three resizes in a row, each asked
// for another way (kubectl etcd scale, kubectl scale, kubectl patch), with the webhook in a pod and the
// controller running. After each: status.lastResize has the right from/to/requestedBy, startedAt <=
// completedAt, startedAt while the command ran, completedAt at most 2 s before the watch saw the cluster settle,
// and every record of the intent says spec.size (lastResize.to, the newest ResizeRequested Event; none on the object).
import { jest } from '@jest/globals';
import { Annotations } from '../../core/api.js';
import { RECORD_ANNOTATIONS } from '../../core/resize-record.js';
import { spawn } from 'node:child_process';
import { KUBECTL, run, waitFor } from '../helpers/cluster.js';
import { NAME, pluginEnv, type PluginEnv } from './plugin-harness.js';
import { installWebhook, type InstalledWebhook } from './webhook-harness.js';

jest.setTimeout(15 * 60_000);

let p: PluginEnv;
let webhook: InstalledWebhook | undefined;
const timings: Record<string, { wallMs: number; recordedMs: number; startLagMs: number; endLagMs: number }> = {};

beforeAll(async () => {
  p = await pluginEnv('record', 1);
  webhook = await installWebhook(p.tc, p.ns, p.ns);
  await p.settled(1);
}, 600_000);

afterAll(async () => {
  if (Object.keys(timings).length) console.log(`resize-record e2e: ${JSON.stringify(timings)}`);
  await p?.close();
  await webhook?.remove();
});

/**
 * Resolves with the time etcd's status first shows the cluster settled at n (Running, n voting members all
 * ready, no learner, generation observed): what a user waits for. A watch, so the time is the status write's
 * and not a poll's; started before the resize is asked for, so no change is missed.
 */
function watchSettled(n: number, generation: number): { at: Promise<number>; stop(): void } {
  // custom-columns, not jsonpath: kubectl's jsonpath printer with a range ends a watch at its second event.
  const columns = 'custom-columns=P:.status.phase,S:.status.size,R:.status.readyReplicas,G:.status.observedGeneration,L:.status.members[*].isLearner';
  const child = spawn(KUBECTL, ['--kubeconfig', p.tc.kubeconfig, '-n', p.ns, 'get', 'etcdcluster', NAME, '--watch', '--no-headers', '-o', columns]);
  const at = new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${NAME} not settled at ${n} within 5 min (last: ${buf.trim().split('\n').at(-1)})`)), 300_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        const [phase, size, ready, observed, learners] = line.trim().split(/\s+/);
        if (phase === 'Running' && Number(size) === n && Number(ready) === n && Number(observed) >= generation && !learners.includes('true')) {
          clearTimeout(timer);
          resolve(Date.now());
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl get --watch exited (${code}) before ${NAME} settled at ${n}`));
    });
  });
  // Not awaited when the command itself fails: its end (killed) must not be an unhandled rejection.
  at.catch(() => undefined);
  return { at, stop: () => child.kill() };
}

async function newestRequest(): Promise<Record<string, string>> {
  const r = await p.tc.kubectl(['-n', p.ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME},reason=ResizeRequested`, '-o', 'json']);
  const items = (JSON.parse(r.stdout) as { items: { metadata: { annotations: Record<string, string> } }[] }).items.map((e) => e.metadata.annotations);
  return items.sort((a, b) => a[Annotations.requestedAt].localeCompare(b[Annotations.requestedAt])).at(-1)!;
}

/** Asks for the resize, measures until settled, and checks the record. */
async function resizeBy(way: string, from: number, to: number, command: () => Promise<{ code: number; stderr: string }>, during?: () => Promise<void>): Promise<void> {
  const before = await p.get();
  const settled = watchSettled(to, (before.metadata.generation ?? 0) + 1);
  let t1: number;
  let tCommand: number;
  // The watch is up before the clock starts (its first line is the state before the resize).
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  try {
    const r = await command();
    tCommand = Date.now();
    expect({ way, code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    await during?.();
    t1 = await settled.at;
  } finally {
    settled.stop();
  }
  const wallMs = t1 - t0;
  const c = await p.get();
  const last = c.status!.lastResize!;
  expect(last).toMatchObject({ from, to, requestedBy: 'admin' });
  const started = Date.parse(last.startedAt!);
  const completed = Date.parse(last.completedAt!);
  const recordedMs = completed - started;
  timings[`${way} ${from}->${to}`] = { wallMs, recordedMs, startLagMs: started - t0, endLagMs: t1 - completed };
  // The request was recorded while the command ran (one clock: webhook, controller and test share this machine).
  // Bounded by the command, not by a fixed lag: starting kubectl alone took over 2 s at load 20.
  expect(started).toBeGreaterThanOrEqual(t0);
  expect(started).toBeLessThanOrEqual(tCommand);
  expect(completed).toBeGreaterThanOrEqual(started);
  // Completion is stamped when the controller sees the cluster settle, in the status write the watch saw settle:
  // before the watch saw it, by no more than the write's delivery.
  expect(completed).toBeLessThanOrEqual(t1);
  expect(t1 - completed).toBeLessThanOrEqual(2000);
  // The intent, wherever it is recorded, is the size last accepted.
  expect(c.spec.size).toBe(to);
  expect(last.to).toBe(c.spec.size);
  expect(RECORD_ANNOTATIONS.filter((k) => c.metadata.annotations?.[k] !== undefined)).toEqual([]);
  const request = await newestRequest();
  expect(request).toMatchObject({ [Annotations.intendedSize]: String(to), [Annotations.previousSize]: String(from), [Annotations.requestedBy]: 'admin' });
  expect(request[Annotations.requestedAt]).toBe(last.startedAt);
}

test('three resizes in a row by three paths, each recorded right', async () => {
  await resizeBy('kubectl etcd scale', 1, 3, () => p.etcd(['scale', NAME, '-n', p.ns, '--replicas', '3', '--yes', '--no-wait']));

  // While 3 -> 5 runs, `kubectl etcd status` shows the resize asked for, who asked and the step reached.
  const inProgress = async () => {
    const text = await waitFor(async () => {
      const r = await p.etcd(['status', NAME, '-n', p.ns]);
      return /In progress:/.test(r.stdout) ? r.stdout : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300, what: 'status to show the resize in progress' });
    expect(text).toMatch(/In progress:\s+3 -> 5/);
    expect(text).toMatch(/Requested by:\s+admin/);
    expect(text).toMatch(/Step:\s+Resizing: \S/);
  };
  await resizeBy('kubectl scale', 3, 5, () => p.tc.kubectl(['-n', p.ns, 'scale', 'etcdcluster', NAME, '--replicas=5']), inProgress);

  await resizeBy('kubectl patch', 5, 3, () => p.tc.kubectl(['-n', p.ns, 'patch', 'etcdcluster', NAME, '--type=merge', '-p', '{"spec":{"size":3}}']));

  // The finished record as `status` prints it: the last resize, who asked, how long it took.
  const shown = await p.etcd(['status', NAME, '-n', p.ns]);
  expect(shown.stdout).toMatch(/Last resize:\s+5 -> 3/);
  expect(shown.stdout).toMatch(/Requested by:\s+admin/);
  expect(shown.stdout).toMatch(/Took:\s+\d+\.\ds/);
  // Each resize has its own record in the Event stream.
  const events = await run('kubectl', ['--kubeconfig', p.tc.kubeconfig, '-n', p.ns, 'get', 'events', '--field-selector', `involvedObject.name=${NAME},reason=ResizeCompleted`, '-o', 'jsonpath={.items[*].message}']);
  for (const text of ['resize 1 -> 3 completed (requested by admin)', 'resize 3 -> 5 completed (requested by admin)', 'resize 5 -> 3 completed (requested by admin)']) {
    expect(events.stdout).toContain(text);
  }
});
