// One line per cluster, the columns of `kubectl get etcdclusters` plus quorum figures in -o wide.
import type { EtcdCluster } from '../../../core/api.js';
import { healthyVoting, voting } from '../../../core/membership.js';
import { versionOf } from '../../../core/object-rules.js';
import { tolerates } from '../../../core/quorum.js';
import { age, dash } from '../../cli/format.js';
import type { Colors } from '../../cli/output.js';
import { table } from '../../cli/table.js';
import { phaseColor, quorumText, versionNote } from '../status/render.js';

export function renderList(clusters: EtcdCluster[], o: { allNamespaces: boolean; wide: boolean; colors: Colors; now: Date }): string[] {
  const headers = ['NAME', 'DESIRED', 'MEMBERS', 'READY', 'PHASE', 'LEADER', 'AGE'];
  if (o.allNamespaces) headers.unshift('NAMESPACE');
  if (o.wide) headers.push('VERSION', 'QUORUM', 'HEALTHY', 'TOLERATES');
  const sorted = [...clusters].sort((a, b) =>
    (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const rows = sorted.map((c) => {
    const st = c.status;
    const row = [dash(c.metadata.name), String(c.spec.size), dash(st?.size), dash(st?.readyReplicas), phaseColor(st?.phase, o.colors), dash(st?.leader), age(c.metadata.creationTimestamp, o.now)];
    if (o.allNamespaces) row.unshift(dash(c.metadata.namespace));
    if (o.wide) {
      const v = voting(st).length;
      const h = healthyVoting(st).length;
      // Failures tolerated now, on healthy members: what an unhealthy member costs shows here.
      const tol = tolerates(h, v);
      // spec.version, and what members run when it differs (an upgrade under way): "3.5.16 (2 of 3 on 3.4.23)".
      const version = versionOf(c.spec);
      row.push(`${version}${versionNote(version, voting(st))}`, quorumText(v), v ? String(h) : '-', v ? (tol < 0 ? o.colors.red('LOST') : String(tol)) : '-');
    }
    return row;
  });
  return table(headers, rows);
}
