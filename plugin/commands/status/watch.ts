// `status NAME --watch`: redraw when the EtcdCluster changes (a watch: members' figures are in its status) and
// every few seconds for its pods, Events and ages. A failed refresh is shown and retried; Ctrl-C ends it with exit 0.
import { err } from '../../cli/output.js';
import type { Connection } from '../../kube/connection.js';
import { watchCluster } from '../../kube/resources.js';
import { gatherView } from './gather.js';
import type { ClusterView } from './view.js';

const REFRESH_MS = 2_000;
const CLEAR = '\x1b[H\x1b[2J';

export async function watchStatus(conn: Connection, ns: string, name: string, show: (v: ClusterView) => Promise<string>): Promise<void> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  // A change seen while a refresh runs must not be lost: it marks the next wait as already over.
  let changed = false;
  let wake: () => void = () => { changed = true; };
  void (async () => {
    // The API server ends watches after timeoutSeconds; start a new one until stopped.
    while (!stop.signal.aborted) {
      await watchCluster(conn, ns, name, stop.signal, () => wake()).catch(() => undefined);
      await sleep(REFRESH_MS, stop.signal);
    }
  })();
  const tty = process.stdout.isTTY === true;
  let last = '';
  while (!stop.signal.aborted) {
    let text: string;
    let fingerprint: string;
    try {
      const view = await gatherView(conn, ns, name);
      text = await show(view);
      // Ages change every second; on a non-terminal print only when something else changed.
      fingerprint = JSON.stringify([view.cluster.status, view.cluster.spec, view.members, view.events, view.unreadable]);
    } catch (e) {
      text = `${new Date().toISOString()} refresh failed: ${(e as Error).message}\n`;
      fingerprint = (e as Error).message;
    }
    if (tty) process.stdout.write(CLEAR + text);
    else if (fingerprint !== last) process.stdout.write(`--- ${new Date().toISOString()}\n${text}`);
    last = fingerprint;
    if (!changed) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        void sleep(REFRESH_MS, stop.signal).then(resolve);
      });
    }
    changed = false;
    wake = () => { changed = true; };
  }
  process.removeListener('SIGINT', onSigint);
  err('stopped watching');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
