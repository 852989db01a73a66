import pc from 'picocolors';
import { renderStatus, members, summary, resize, repair, upgrade, versionNote, warnings, conditions, events, backups } from '../../plugin/commands/status/render.js';
import { renderList } from '../../plugin/commands/list/render.js';
import { statusReport } from '../../plugin/commands/status/report.js';
import { colorsFor } from '../../plugin/cli/output.js';
import { Annotations, type BackupSpec, type EtcdCluster } from '../../core/api.js';
import { buildView, type ClusterView } from '../../plugin/commands/status/view.js';
import { ago, cluster, cond, figures, fixtures, member, NOW, pod, snapshotRecord } from './plugin-fixtures.js';

const plain = colorsFor('never', { isTTY: true });
const opts = { colors: plain, wide: false };
const sectionTitles = (text: string) => text.split('\n').filter((l) => /^\S/.test(l));
const row = (lines: string[], name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/\s{3,}/);

describe('status NAME rendering', () => {
  test('sections come in a fixed order; "Could not read" only when something failed, and last', () => {
    expect(sectionTitles(renderStatus(fixtures.healthy(), opts))).toEqual(['Summary', 'Resize', 'Repair', 'Upgrade', 'Members', 'Conditions', 'Events', 'Warnings']);
    const failed: ClusterView = { ...fixtures.scaling(), unreadable: ['events: forbidden: events is forbidden'] };
    expect(sectionTitles(renderStatus(failed, opts))).toEqual(['Summary', 'Resize', 'Repair', 'Upgrade', 'Members', 'Conditions', 'Events', 'Warnings', 'Could not read']);
    expect(renderStatus(failed, opts).trimEnd().split('\n').slice(-2)).toEqual(['Could not read', '  - events: forbidden: events is forbidden']);
  });

  test('healthy: sizes, quorum, leader with its id, versions, last resize with its duration', () => {
    const v = fixtures.healthy();
    const s = summary(v, plain).join('\n');
    expect(s).toMatch(/Phase:\s+Running/);
    expect(s).toMatch(/Size:\s+3 wanted, 3 voting, 3 ready/);
    expect(s).toMatch(/Quorum:\s+2 of 3 \(3 healthy\), tolerates 1 failure now$/m);
    expect(s).toMatch(/Leader:\s+demo-0 \(8e9e05c52164694d\)/);
    expect(s).toMatch(/Version:\s+3\.6\.5 \(3 of 3 on 3\.4\.23\)/);
    expect(s).toMatch(/Cluster version:\s+-$/m);
    expect(s).toMatch(/TLS:\s+off \(plain HTTP\)$/m);
    expect(s).toMatch(/Age:\s+2h/);
    v.cluster.spec.tls = { enabled: true };
    expect(summary(v, plain).join('\n')).toMatch(/TLS:\s+mutual, peers and clients \(the operator's own CA\)$/m);
    v.cluster.spec.tls = { enabled: true, issuerRef: { name: 'etcd-ca', kind: 'ClusterIssuer' } };
    expect(summary(v, plain).join('\n')).toMatch(/TLS:\s+mutual, peers and clients \(cert-manager ClusterIssuer etcd-ca\)$/m);
    delete v.cluster.spec.tls;
    // When every member runs what spec.version asks, there is nothing to add.
    v.cluster.spec.version = '3.4.23';
    expect(summary(v, plain).join('\n')).toMatch(/Version:\s+3\.4\.23$/m);
    const r = resize(v).join('\n');
    expect(r).toMatch(/Last resize:\s+1 -> 3/);
    expect(r).toMatch(/Requested by:\s+alice/);
    expect(r).toMatch(/Took:\s+1m10s/);
    expect(warnings(v, plain)).toEqual(['None']);
  });

  test('healthy: member rows with role, health, figures, lag behind the leader, their age, readiness and restarts', () => {
    const lines = members(fixtures.healthy(), opts);
    expect(lines[0].split(/\s{3,}/)).toEqual(['NAME', 'ID', 'ROLE', 'HEALTH', 'VERSION', 'DB SIZE', 'TERM', 'INDEX', 'LAG', 'READ', 'POD READY', 'RESTARTS']);
    expect(row(lines, 'demo-0')).toEqual(['demo-0', '8e9e05c52164694d', 'leader', 'healthy', '3.4.23', '24 KiB', '4', '100', '0', '12s', 'yes', '0']);
    expect(row(lines, 'demo-1')).toEqual(['demo-1', '91bc3c398fb3c146', 'follower', 'healthy', '3.4.23', '24 KiB', '4', '98', '2', '12s', 'yes', '0']);
    expect(row(lines, 'demo-2').slice(-2)).toEqual(['yes', '1']);
    // Under the table: whose figures they are, and when LAG is left out.
    expect(lines.at(-1)).toBe("READ: how long ago the controller read each member's figures; LAG only against the leader's read within 5s.");
    expect(lines).toHaveLength(5);
    expect(members(fixtures.healthy(), { colors: plain, wide: true })[0]).toMatch(/PEER URL\s+POD IP\s+NODE$/);
  });

  test('events: newest last, with repeat counts', () => {
    const e = events(fixtures.healthy(), opts);
    expect(e[1]).toMatch(/MemberAdded/);
    expect(e[2]).toMatch(/^49m \(x2\)\s+Normal\s+MemberPromoted\s+promoted demo-1$/);
  });

  test('scaling: the resize in progress with who asked, the step reached and the time elapsed', () => {
    const v = fixtures.scaling();
    const r = resize(v).join('\n');
    expect(r).toMatch(/In progress:\s+1 -> 3/);
    expect(r).toMatch(/Requested by:\s+bob/);
    expect(r).toMatch(/Step:\s+PromotingLearner: waiting for demo-2 to catch up before promoting it/);
    expect(r).toMatch(/Elapsed:\s+1m30s/);
    expect(summary(v, plain).join('\n')).toMatch(/Size:\s+3 wanted, 2 voting \+ 1 learner/);
    const m = members(v, opts);
    // demo-2 has not answered the controller: no figures in status, dashes, and nothing to list as unreadable.
    expect(row(m, 'demo-2')).toEqual(['demo-2', 'fd422379fda50e48', 'learner', 'healthy', '-', '-', '-', '-', '-', '-', 'no (Running)', '0']);
    expect(sectionTitles(renderStatus(v, opts))).not.toContain('Could not read');
  });

  test('scaling without a controller record yet: the resize asked for comes from its ResizeRequested Event', () => {
    const v = fixtures.scaling();
    v.cluster.status!.lastResize = { from: 1, to: 2, requestedBy: 'dave', startedAt: '2026-11-24T10:00:00.000Z', completedAt: '2026-11-24T10:00:05.000Z' };
    const request = (by: string, at: string) => ({
      metadata: { name: `demo.resize-${by}`, annotations: {
        'etcd.k8s-operator.io/intended-size': '3', 'etcd.k8s-operator.io/previous-size': '1',
        'etcd.k8s-operator.io/resize-requested-by': by, 'etcd.k8s-operator.io/resize-requested-at': at,
      } },
      type: 'Normal', reason: 'ResizeRequested', message: `resize 1 -> 3 requested by ${by}`, lastTimestamp: at,
    });
    // An older request for the same size (before the last resize) is not this one.
    v.events = [request('erin', '2026-11-24T09:00:00.000Z'), ...v.events, request('carol', '2026-11-24T11:58:00.000Z')];
    const r = resize(v).join('\n');
    expect(r).toMatch(/In progress:\s+1 -> 3/);
    expect(r).toMatch(/Requested by:\s+carol/);
    expect(r).toMatch(/Elapsed:\s+2m/);
  });

  test('the resize in progress is the one asked for, not the membership step reached (3 -> 5 at 4 voting)', () => {
    const v = fixtures.scaling();
    v.cluster.spec.size = 5;
    v.cluster.status!.size = 4;
    v.cluster.status!.lastResize = { from: 3, to: 5, requestedBy: 'admin', startedAt: new Date(NOW.getTime() - 20_000).toISOString() };
    const r = resize(v).join('\n');
    expect(r).toMatch(/In progress:\s+3 -> 5/);
    expect(r).toMatch(/Requested by:\s+admin/);
    expect(r).toMatch(/Step:\s+PromotingLearner: /);
  });

  test('Took: tenths of a second for short resizes; never a negative time', () => {
    const v = fixtures.healthy();
    v.cluster.status!.lastResize = { from: 5, to: 3, requestedBy: 'admin', startedAt: '2026-11-24T11:00:00.000Z', completedAt: '2026-11-24T11:00:02.340Z' };
    expect(resize(v).join('\n')).toMatch(/Took:\s+2\.3s/);
  });

  test('creating, not resizing: no "from -> to" made up from the voting count', () => {
    const v = fixtures.scaling();
    v.cluster.status!.phase = 'Creating';
    v.cluster.status!.lastResize = undefined;
    const r = resize(v).join('\n');
    expect(r).toMatch(/Creating:\s+3 members, 2 voting so far/);
    expect(r).not.toMatch(/In progress/);
  });

  test('degraded: fewer failures tolerated now than when healthy, the unhealthy member warned about', () => {
    const v = fixtures.degraded();
    expect(summary(v, plain).join('\n')).toMatch(/Quorum:\s+2 of 3 \(2 healthy\), tolerates 0 failures now \(1 when all are healthy\)/);
    expect(row(members(v, opts), 'demo-2')).toEqual(['demo-2', 'fd422379fda50e48', 'follower', 'unhealthy', '-', '-', '-', '-', '-', '-', 'no (Running)', '7']);
    expect(warnings(v, plain)).toEqual([expect.stringMatching(/^! voting member demo-2 is unhealthy/)]);
    expect(conditions(v, plain).some((l) => /^Degraded\s+True\s+MemberUnhealthy/.test(l))).toBe(true);
  });

  test('lost quorum: says so with the numbers; no leader', () => {
    const s = summary(fixtures.lostQuorum(), plain).join('\n');
    expect(s).toMatch(/Quorum:\s+LOST: 1 healthy of 3 voting, quorum needs 2/);
    expect(s).toMatch(/Leader:\s+none/);
    expect(s).toMatch(/Phase:\s+Failed/);
    expect(events(fixtures.lostQuorum(), opts)).toEqual(['None recent']);
  });

  test('learner stuck: warned after 2 minutes; lag and DB near quota shown', () => {
    const v = fixtures.learnerStuck();
    const w = warnings(v, plain);
    expect(w).toContainEqual(expect.stringMatching(/^! learner demo-2 has not been promoted for 10 min/));
    expect(w).toContainEqual(expect.stringMatching(/^! demo-2: database is 95% of the default 2 GiB quota/));
    expect(row(members(v, opts), 'demo-2').slice(0, 9)).toEqual(['demo-2', 'fd422379fda50e48', 'learner', 'healthy', '3.4.23', '1.9 GiB', '4', '1200', '3800']);
  });

  test('colour only when asked for', () => {
    expect(renderStatus(fixtures.degraded(), opts)).not.toMatch(/\x1b\[/);
    expect(renderStatus(fixtures.degraded(), { colors: pc.createColors(true), wide: false })).toMatch(/\x1b\[31munhealthy/);
  });
});

describe('members\' figures: from status.members as the controller read them', () => {
  const view = (c: EtcdCluster) => buildView({ cluster: c, pods: [pod(0), pod(1), pod(2)], events: [], unreadable: [], now: NOW });

  test('version, DB size, term and index are the controller\'s; READ is their age; without readAt a member has none', () => {
    const read = ago(125);
    const v = view(cluster(3, [
      member(0, figures(500, { raftTerm: 7, readAt: read })),
      member(1, figures(498, { raftTerm: 7, readAt: read, version: '3.5.16', dbSize: 3 * 1024 ** 2 })),
      // Figures without the time they were read say nothing about when: shown as none.
      member(2, { version: '3.4.23', raftIndex: 400 }),
    ]));
    expect(v.members[1]).toMatchObject({ version: '3.5.16', dbSize: 3 * 1024 ** 2, raftTerm: 7, raftIndex: 498, readAt: read, lag: 2 });
    const lines = members(v, opts);
    expect(row(lines, 'demo-0')).toEqual(['demo-0', '8e9e05c52164694d', 'leader', 'healthy', '3.4.23', '24 KiB', '7', '500', '0', '2m5s', 'yes', '0']);
    expect(row(lines, 'demo-1')).toEqual(['demo-1', '91bc3c398fb3c146', 'follower', 'healthy', '3.5.16', '3.0 MiB', '7', '498', '2', '2m5s', 'yes', '0']);
    expect(row(lines, 'demo-2')).toEqual(['demo-2', 'fd422379fda50e48', 'follower', 'healthy', '-', '-', '-', '-', '-', '-', 'yes', '0']);
    expect(v.members[2]).not.toHaveProperty('raftIndex');
  });

  test('the leader is status.leader, its figures the ones lag is counted from', () => {
    const v = view(cluster(3, [member(0, figures(90)), member(1, figures(100)), member(2, figures(95))], { leader: 'demo-1' }));
    expect(v.leader).toBe('demo-1');
    expect(v.members.map((m) => [m.role, m.lag])).toEqual([['follower', 10], ['leader', 0], ['follower', 5]]);
  });

  describe('LAG only between figures read within 5 s of the leader\'s', () => {
    /** demo-0 leads at index 1000, read `leaderRead` s before NOW; demo-1 at `index`, read `memberRead` s before. */
    const pair = (leaderRead: number, memberRead: number, index = 990) =>
      view(cluster(3, [member(0, figures(1000, { readAt: ago(leaderRead) })), member(1, figures(index, { readAt: ago(memberRead) })), member(2)]));
    const cells = (v: ClusterView) => row(members(v, opts), 'demo-1').slice(7, 10);

    test('read in the same pass, or up to 5 s apart: the entries behind', () => {
      expect(cells(pair(12, 12))).toEqual(['990', '10', '12s']);
      expect(cells(pair(12, 17))).toEqual(['990', '10', '17s']);
      expect(cells(pair(17, 12))).toEqual(['990', '10', '12s']);
      // Ahead of the leader's read (it was read a moment later): never a negative lag.
      expect(cells(pair(12, 12, 1003))).toEqual(['1003', '0', '12s']);
    });

    test('read further apart: "-" (the index still shows), and no lag in -o json', () => {
      expect(cells(pair(12, 18))).toEqual(['990', '-', '18s']);
      // The leader's counters held for up to 30 s while the member's were rewritten.
      expect(cells(pair(40, 12))).toEqual(['990', '-', '12s']);
      expect(statusReport(pair(12, 18)).members[1]).toMatchObject({ raftIndex: 990, readAt: ago(18) });
      expect(statusReport(pair(12, 18)).members[1].lag).toBeUndefined();
    });

    test('a leader without figures, or none at all: "-" for every member', () => {
      const noFigures = view(cluster(3, [member(0), member(1, figures(990)), member(2, figures(990))]));
      expect(noFigures.members.map((m) => m.lag)).toEqual([undefined, undefined, undefined]);
      const noLeader = view(cluster(3, [member(0, figures(1000)), member(1, figures(990)), member(2)], { leader: undefined }));
      expect(row(members(noLeader, opts), 'demo-1')[8]).toBe('-');
    });
  });

  test('what etcd reports wrong on a member (an alarm) is a Warning', () => {
    const alarm = 'memberID:18238139626536823368 alarm:NOSPACE';
    const v = view(cluster(3, [member(0, figures(100)), member(1, figures(100)), member(2, { ...figures(100), healthy: false, alarms: [alarm] })]));
    expect(warnings(v, plain)).toEqual([expect.stringMatching(/^! voting member demo-2 is unhealthy/), `! demo-2: etcd reports ${alarm}`]);
  });
});

describe('status -o json', () => {
  test('status is the EtcdCluster status exactly; each member\'s figures with when they were read sit next to it', () => {
    const v = fixtures.scaling();
    const report = JSON.parse(JSON.stringify(statusReport(v)));
    expect(report.status).toEqual(JSON.parse(JSON.stringify(v.cluster.status)));
    expect(report).toMatchObject({
      apiVersion: 'etcd.k8s-operator.io/v1alpha1', kind: 'EtcdClusterStatusReport',
      metadata: { name: 'demo', namespace: 'ns', generation: 3 },
      spec: { size: 3 },
      quorum: { voting: 2, healthyVoting: 2, quorum: 2, tolerates: 0 },
      leader: 'demo-0',
      couldNotRead: [],
    });
    expect(report.members[0]).toMatchObject({ name: 'demo-0', id: '8e9e05c52164694d', role: 'leader', version: '3.4.23', raftIndex: 200, readAt: ago(12), lag: 0, podReady: true, restarts: 0 });
    // A member without figures has none of their keys (not nulls).
    for (const k of ['version', 'dbSize', 'raftTerm', 'raftIndex', 'readAt', 'lag']) expect(report.members[2]).not.toHaveProperty(k);
    expect(Object.keys(report)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status', 'quorum', 'leader', 'members', 'warnings', 'events', 'couldNotRead']);
  });

  describe('Repair section', () => {
    const at = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
    const repairRecord = { member: 'demo-2', oldId: 'fd422379fda50e48', reason: 'DataLost' as const, message: 'its volume holds no data', requestedBy: 'alice', startedAt: at(40) };

    test('nothing recorded says so', () => {
      expect(repair(fixtures.healthy())).toEqual(['No replacement or recovery recorded']);
    });

    test('a replacement in progress: the member, old ID and new, why, who asked, the step reached, elapsed', () => {
      const v = fixtures.degraded();
      v.cluster.status!.lastRepair = { ...repairRecord, newId: '1111222233334444' };
      v.cluster.status!.conditions!.push(cond('Progressing', 'True', 'Repairing', 'promoting learner demo-2 once it has caught up', 5));
      const r = repair(v).join('\n');
      expect(r).toMatch(/Replacement in progress:\s+demo-2 \(fd422379fda50e48\) -> 1111222233334444/);
      expect(r).toMatch(/Why:\s+DataLost: its volume holds no data/);
      expect(r).toMatch(/Requested by:\s+alice/);
      expect(r).toMatch(/Step:\s+Repairing: promoting learner demo-2 once it has caught up/);
      expect(r).toMatch(/Elapsed:\s+40s/);
      // Before the new learner exists, the status says so rather than a blank.
      delete v.cluster.status!.lastRepair!.newId;
      expect(repair(v).join('\n')).toMatch(/-> not added yet/);
      // A member removed ahead of its replacement (status.pendingRepairs) is listed as queued, during and after.
      v.cluster.status!.pendingRepairs = [{ member: 'demo-4', oldId: 'aaaabbbbccccdddd', reason: 'Unhealthy', message: 'unhealthy for 1m', startedAt: at(10) }];
      expect(repair(v).join('\n')).toMatch(/Queued:\s+demo-4 \(aaaabbbbccccdddd\), Unhealthy: removed, replaced next/);
      v.cluster.status!.lastRepair!.completedAt = at(1);
      expect(repair(v)[0]).toMatch(/^Queued:\s+demo-4/);
    });

    test('the last replacement and the last recovery, each with how long it took', () => {
      const v = fixtures.healthy();
      v.cluster.status!.lastRepair = { ...repairRecord, newId: '1111222233334444', completedAt: at(5) };
      v.cluster.status!.lastRecovery = {
        member: 'demo-0', id: '8e9e05c52164694d', lost: [{ member: 'demo-1', id: '91bc3c398fb3c146' }, { member: 'demo-2', id: 'fd422379fda50e48' }],
        startedAt: at(600), forcedAt: at(590), completedAt: at(540),
      };
      const r = repair(v).join('\n');
      expect(r).toMatch(/Last replacement:\s+demo-2 \(fd422379fda50e48\) -> 1111222233334444/);
      expect(r.split('\n').filter((l) => l.startsWith('Took:')).map((l) => l.split(/\s+/)[1])).toEqual(['35.0s', '1m']);
      expect(r).toMatch(/Last recovery:\s+from demo-0 \(8e9e05c52164694d\); discarded demo-1 \(91bc3c398fb3c146\), demo-2 \(fd422379fda50e48\)/);
    });

    test('a recovery in progress comes first: from which member, what is discarded, whether etcd was forced yet', () => {
      const v = fixtures.lostQuorum();
      v.cluster.status!.lastRepair = { ...repairRecord, completedAt: at(900) };
      v.cluster.status!.lastRecovery = { member: 'demo-0', id: '8e9e05c52164694d', lost: [{ member: 'demo-1', id: '91bc3c398fb3c146' }], requestedBy: 'bob', startedAt: at(12) };
      const r = repair(v).join('\n');
      expect(r).toMatch(/Recovery in progress:\s+from demo-0 \(8e9e05c52164694d\), quorum lost/);
      expect(r).toMatch(/Requested by:\s+bob/);
      expect(r).toMatch(/Forced new cluster:\s+not yet/);
      expect(r).toMatch(/Discarded:\s+demo-1 \(91bc3c398fb3c146\)/);
      expect(r).not.toContain('Last replacement');
    });
  });
});

describe('versions: Summary, Members, Upgrade section, list', () => {
  const at = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
  const step = 'upgrade 3.4.23 -> 3.5.16: restarting demo-1 on etcd 3.5.16 (a follower; 1 of 3 members restarted)';
  /** demo on its way from 3.4.23 to 3.5.16: demo-2 restarted on it, demo-1 restarting (not answering), demo-0 on 3.4.23. */
  function upgrading(extra: Partial<NonNullable<EtcdCluster['status']>> = {}): ClusterView {
    const c = cluster(3, [member(0, figures(100)), member(1), member(2, figures(100, { version: '3.5.16' }))], {
      lastResize: undefined, clusterVersion: '3.4.0',
      lastUpgrade: { from: '3.4.23', to: '3.5.16', requestedBy: 'alice', startedAt: at(62) },
      conditions: [cond('Available', 'True', 'QuorumHealthy', '2 of 3 healthy'), cond('Progressing', 'True', 'Upgrading', step, 5)],
      ...extra,
    });
    c.spec.version = '3.5.16';
    return buildView({ cluster: c, pods: [pod(0), pod(1, false, 0, 5), pod(2, true, 0, 30)], events: [], unreadable: [], now: NOW });
  }

  test('Summary: what spec asks for, what members run when it differs, and etcd\'s cluster version', () => {
    const s = summary(upgrading(), plain).join('\n');
    expect(s).toMatch(/^Version:\s+3\.5\.16 \(1 of 3 on 3\.4\.23\)$/m);
    expect(s).toMatch(/^Cluster version:\s+3\.4\.0$/m);
  });

  test('Members: the running version as the member last told the controller; "-" while it does not answer', () => {
    const lines = members(upgrading(), opts);
    expect(row(lines, 'demo-0')[4]).toBe('3.4.23');
    expect(row(lines, 'demo-2')[4]).toBe('3.5.16');
    expect(row(lines, 'demo-1')[4]).toBe('-');
  });

  test('in progress: from -> to, who asked, since when, members on the new version by name, the step, elapsed', () => {
    const u = upgrade(upgrading());
    expect(u).toEqual([
      'In progress:      3.4.23 -> 3.5.16',
      'Requested by:     alice',
      `Started:          ${at(62)} (1m2s ago)`,
      'Upgraded:         1 of 3 members on 3.5.16 (demo-2)',
      'Cluster version:  3.4.0',
      `Step:             Upgrading: ${step}`,
      'Elapsed:          1m2s',
    ]);
    // Not a resize: the Resize section does not claim one.
    expect(resize(upgrading())).toEqual(['No resize recorded']);
  });

  test('in progress and held: Paused or Stuck with the Degraded reason and message', () => {
    const paused = 'upgrade 3.4.23 -> 3.5.16 paused (1 of 3 members restarted): demo-0 is unhealthy (not answering); it resumes once every member is healthy';
    const conditions = (reason: string, message: string) => [cond('Progressing', 'True', 'Upgrading', step), cond('Degraded', 'True', reason, message)];
    expect(upgrade(upgrading({ conditions: conditions('RolloutPaused', paused) }))).toContain(`Paused:           RolloutPaused: ${paused}`);
    const stuck = 'upgrade 3.4.23 -> 3.5.16 stopped (1 of 3 members restarted): demo-1 has not come back 2m after its restart (CrashLoopBackOff); fix it, or set spec.version back to 3.4.23';
    expect(upgrade(upgrading({ conditions: conditions('RolloutStuck', stuck) }))).toContain(`Stuck:            RolloutStuck: ${stuck}`);
    // A member coming back from its restart is the rollout's course, not a hold.
    expect(upgrade(upgrading({ conditions: conditions('MemberRestarting', step) })).join('\n')).not.toMatch(/Paused|Stuck/);
  });

  test('done: the last upgrade, who asked, when, how long it took; none recorded says so', () => {
    const v = upgrading({ clusterVersion: '3.5.0', conditions: [], lastUpgrade: { from: '3.4.23', to: '3.5.16', requestedBy: 'alice', startedAt: at(3600), completedAt: at(3538) } });
    v.cluster.status!.members!.forEach((m) => { m.version = '3.5.16'; });
    expect(upgrade(v)).toEqual([
      'Last upgrade:  3.4.23 -> 3.5.16',
      'Requested by:  alice',
      `Started:       ${at(3600)} (1h ago)`,
      'Took:          1m2s',
    ]);
    expect(upgrade(fixtures.healthy())).toEqual(['No upgrade recorded']);
  });

  test('asked for and not begun: the version wanted and what members run, while the controller has not seen it', () => {
    const v = upgrading({ lastUpgrade: undefined, conditions: [], observedGeneration: 1 });
    v.cluster.status!.members!.forEach((m) => { m.version = '3.4.23'; });
    expect(upgrade(v)).toEqual(['Not started:  3.5.16 wanted (3 of 3 on 3.4.23)', 'Step:         waiting for the controller to pick up the change']);
    // Seen, and nothing else going on: no made-up upgrade (e.g. an image whose etcd reports another release).
    v.cluster.status!.observedGeneration = 2;
    expect(upgrade(v)).toEqual(['No upgrade recorded']);
  });

  test('versionNote: each other version with how many run it; nothing when all run what is wanted', () => {
    const on = (...versions: (string | undefined)[]) => versions.map((version, i) => ({ name: `demo-${i}`, version }));
    expect(versionNote('3.5.16', on('3.5.16', '3.4.23', '3.4.23'))).toBe(' (2 of 3 on 3.4.23)');
    expect(versionNote('3.5.16', on('3.5.16', '3.5.15', '3.4.23'))).toBe(' (1 of 3 on 3.5.15, 1 of 3 on 3.4.23)');
    expect(versionNote('3.5.16', on('3.5.16', undefined))).toBe('');
  });

  test('list -o wide: VERSION is spec.version, with what members run while they differ', () => {
    const c = upgrading().cluster;
    const lines = renderList([c], { allNamespaces: false, wide: true, colors: plain, now: NOW });
    const cells = lines[1].split(/\s{3,}/);
    expect(cells[lines[0].split(/\s{3,}/).indexOf('VERSION')]).toBe('3.5.16 (1 of 3 on 3.4.23)');
  });
});

describe('Backups section', () => {
  /** demo with spec.backup as given (created 2 h before NOW) and status.backup as the controller wrote it. */
  function backed(spec: BackupSpec, backup?: NonNullable<EtcdCluster['status']>['backup'], annotations?: Record<string, string>): ClusterView {
    const c = cluster(3, [member(0), member(1), member(2)], { backup }, 2, annotations);
    c.spec.backup = spec;
    return buildView({ cluster: c, pods: [], events: [], unreadable: [], now: NOW });
  }
  /** The section's lines with one space after each key (keyValues aligns the values to the longest key). */
  const lines = (v: ClusterView) => backups(v, v.cluster.spec.backup!, plain).map((l) => l.replace(/^([^:]+):\s+/, '$1: '));
  const text = (v: ClusterView) => lines(v).join('\n');
  const every30m: BackupSpec = { schedule: '*/30 * * * *', keep: 10, volume: { size: '5Gi' } };

  test('only with spec.backup, between Upgrade and Members', () => {
    expect(sectionTitles(renderStatus(fixtures.healthy(), opts))).not.toContain('Backups');
    expect(sectionTitles(renderStatus(backed(every30m), opts))).toEqual(['Summary', 'Resize', 'Repair', 'Upgrade', 'Backups', 'Members', 'Conditions', 'Events', 'Warnings']);
  });

  test('schedule, keep, the newest snapshot (name, revision, age), the next scheduled time; no warning while fresh', () => {
    const s = snapshotRecord(600, 4321);
    const v = backed(every30m, { lastSnapshot: s, snapshots: [s, snapshotRecord(2400, 4000)], nextScheduleTime: '2026-11-24T12:30:00Z' });
    expect(lines(v)).toEqual([
      'Schedule: */30 * * * * (UTC)',
      'Keep: 10, 2 kept now',
      'Newest: demo-20261124T115000Z-r4321.db, revision 4321, taken 10m ago',
      'Next: 2026-11-24T12:30:00Z (in 30m)',
    ]);
    expect(warnings(v, plain)).toEqual(['None']);
  });

  test('on request only: no schedule, no next time, the default keep; never a staleness warning', () => {
    const v = backed({ volume: { size: '1Gi' } });
    expect(lines(v)).toEqual(['Schedule: on request only', 'Keep: 7 (default), 0 kept now', 'Newest: none yet']);
  });

  test('WARNING when the newest snapshot is older than two periods of the schedule, in the section and in Warnings', () => {
    const s = snapshotRecord(61 * 60, 4321);
    const v = backed(every30m, { lastSnapshot: s, snapshots: [s] });
    expect(text(v)).toMatch(/^Warning:\s+the newest snapshot is 1h1m old: more than two periods \(1h\) of the schedule "\*\/30 \* \* \* \*"; why: the BackupReady condition and the Events \(kubectl -n ns describe etcdcluster demo\)$/m);
    expect(warnings(v, plain)).toEqual([expect.stringMatching(/^! backups: the newest snapshot is 1h1m old: /)]);
    // Within two periods: one missed run may be a retry.
    const fresh = snapshotRecord(59 * 60, 4321);
    expect(text(backed(every30m, { lastSnapshot: fresh, snapshots: [fresh] }))).not.toContain('Warning');
  });

  test('WARNING when there is no snapshot though the cluster has run for more than two periods; none before', () => {
    // The fixture cluster was created 2 h ago: four periods of */30, less than two of every 2 hours.
    expect(text(backed(every30m))).toMatch(/^Warning:\s+no snapshot yet, though the cluster has run for 2h: more than two periods \(1h\)/m);
    expect(text(backed({ schedule: '0 */2 * * *' }))).not.toContain('Warning');
  });

  test('the last error when newer than the newest snapshot, and a request not taken yet', () => {
    const s = snapshotRecord(1200, 4321);
    const error = { message: 'etcdserver: request timed out', at: ago(300), job: 'demo-snapshot-k2x9q' };
    const v = backed(every30m, { lastSnapshot: s, snapshots: [s], lastError: error }, { [Annotations.snapshotRequested]: ago(45) });
    expect(text(v)).toContain('Last error: 2026-11-24T11:55:00.000Z (5m ago): etcdserver: request timed out (Job demo-snapshot-k2x9q)');
    expect(text(v)).toContain('Requested: 2026-11-24T11:59:15.000Z (45s ago), not taken yet');
    // An error before the newest snapshot is over; a request that snapshot served is not pending.
    const served = { ...s, requestedAt: ago(45) };
    const later = backed(every30m, { lastSnapshot: served, snapshots: [served], lastError: { ...error, at: ago(3000) } }, { [Annotations.snapshotRequested]: ago(45) });
    expect(text(later)).not.toMatch(/Last error|Requested/);
  });

  test('a schedule that does not parse: the reason in place of the schedule, no warning, the rest still shown', () => {
    const s = snapshotRecord(600, 4321);
    const v = backed({ schedule: 'every day' }, { lastSnapshot: s, snapshots: [s] });
    expect(lines(v)[0]).toBe('Schedule: "every day" has 2 fields; a schedule has 5 (minute hour day-of-month month day-of-week), e.g. "*/30 * * * *"');
    expect(text(v)).toContain('Newest: demo-20261124T115000Z-r4321.db, revision 4321, taken 10m ago');
    expect(text(v)).not.toContain('Warning');
    expect(() => renderStatus(v, opts)).not.toThrow();
  });
});
