// One reconcile pass for one EtcdCluster: observe etcd + Kubernetes afresh, decide the one next step
// (core/reconcile-step.ts), take it, derive and write status (only when it changed), record Events.
import { isDeepStrictEqual } from 'node:util';
import type { V1ConfigMap, V1Endpoints, V1NetworkPolicy, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Service, V1StatefulSet, CoreV1Event } from '@kubernetes/client-node';
import { Annotations, CLUSTER_LABEL, KIND, API_VERSION, SERVING_CHANGED_AT_ANNOTATION, SERVING_LABEL, type EtcdCluster, type EtcdClusterStatus } from '../core/api.js';
import { findCondition } from '../core/conditions.js';
import type { Logger } from '../core/log.js';
import { clientURL, memberName, ordinalFromPeerURL, ordinalOf, pvcOrdinal } from '../core/member-naming.js';
import {
  nextStep,
  PROMOTE_WARN_AFTER_MS,
  SHORT_REQUEUE_MS,
  type EtcdObservation,
  type Observed,
  type ObservedMember,
  type Step,
} from '../core/reconcile-step.js';
import { RESIZE_REQUESTED_REASON, type ResizeEventLike } from '../core/resize-record.js';
import { entryContext, formatEntry, type MemberStartEntry } from '../core/member-entry.js';
import { deriveStatus, failureStatus, resizeBegins, statusEqual } from '../core/status-derive.js';
import { ClusterCertificates } from './cluster-certificates.js';
import { Backups } from './backups.js';
import { observeBackup } from './observe-backup.js';
import type { ObjectCache } from './object-cache.js';
import { Reads, type PassReads } from './reads.js';
import type { BackupAction } from '../core/backup-step.js';
import { schemeOf, tlsEnabled } from '../core/tls-config.js';
import { EtcdAdmin, isLearnerNotInSync, isTransientRefusal, type EtcdView } from './etcd-admin.js';
import { isDeadline } from './etcd-clients.js';
import { failpoint } from './failpoints.js';
import { isNotFound, Kube } from './kube.js';
import { membershipSteps } from './metrics.js';
import * as objects from './objects.js';
import { observePod } from './observe-pod.js';
import { RECOVERY_REQUESTED_REASON, REPLACE_REQUESTED_REASON, requesterOf } from '../core/repair.js';
import { UPGRADE_REQUESTED_REASON, upgradeRequestValue } from '../core/last-upgrade.js';

export interface ReconcilerOptions {
  images: objects.PodImages;
  /** --network-policies: every cluster gets NetworkPolicy NAME; the operator's namespace may use the client port. */
  networkPolicies?: { operatorNamespace?: string };
}

export interface PassResult {
  requeueMs?: number;
}

/** After a step that changed something, look again at once. */
const AFTER_STEP_MS = 50;
const BLOCKED_REQUEUE_MS = 5000;

/** One pass's view of a cluster, and the etcd client it was read with (a TLS cluster's carries its certificate). */
interface Seen {
  observed: Observed;
  view: EtcdView;
  etcd: EtcdAdmin;
}

export class Reconciler {
  private readonly certificates: ClusterCertificates;
  private readonly backups: Backups;
  /** Learners already reported as not catching up (Event de-duplication only; decisions never read it). */
  private readonly warnedLearners = new Set<string>();

  private readonly reads: Reads;

  constructor(
    private readonly kube: Kube,
    private readonly etcd: EtcdAdmin,
    private readonly opts: ReconcilerOptions,
    private readonly log: Logger,
    cache?: ObjectCache,
  ) {
    this.reads = new Reads(kube, log, cache);
    this.certificates = new ClusterCertificates(kube);
    this.backups = new Backups(kube, opts.images, (c, type, reason, message) => this.event(c, type, reason, message));
  }

  /** `fresh`: this pass reads the API server, not the informer cache (the periodic safety net, object-cache.ts). */
  async reconcile(namespace: string, name: string, fresh = false): Promise<PassResult> {
    const reads = this.reads.pass(fresh);
    const cluster = await reads.cluster(namespace, name);
    if (!cluster || cluster.metadata.deletionTimestamp) return {};
    const log = this.log.child({ cluster: `${namespace}/${name}` });
    let seen: Seen;
    try {
      seen = await this.observe(cluster, reads);
    } catch (err) {
      // A cluster that cannot even be looked at still says why, in status and in an Event.
      await this.writeFailure(cluster, 'ObserveFailed', `could not read the objects of ${name}: ${errorText(err)}`, log);
      throw err;
    }
    const { observed, view, etcd } = seen;
    const step = nextStep(observed);
    if (step.kind === 'begin-recovery') {
      step.recovery.requestedBy = await this.requests(cluster, RECOVERY_REQUESTED_REASON)
        .then((events) => requesterOf(events, Annotations.recover, `${step.recovery.member}/${step.recovery.id}`))
        .catch(() => undefined);
      if (!step.recovery.requestedBy) delete step.recovery.requestedBy;
    }
    if (step.kind === 'begin-upgrade') {
      step.upgrade.requestedBy = await this.requests(cluster, UPGRADE_REQUESTED_REASON)
        .then((events) => requesterOf(events, Annotations.upgrade, upgradeRequestValue(step.upgrade.from, step.upgrade.to)))
        .catch(() => undefined);
      if (!step.upgrade.requestedBy) delete step.upgrade.requestedBy;
    }
    // Who asked for a requested replacement: read once, when it begins (the record then lives in status).
    if (step.kind === 'begin-repair' && step.repair.reason === 'Requested') {
      step.repair.requestedBy = await this.requests(cluster, REPLACE_REQUESTED_REASON)
        .then((events) => requesterOf(events, Annotations.replace, `${step.repair.member}/${step.repair.oldId}`))
        .catch(() => undefined);
      if (!step.repair.requestedBy) delete step.repair.requestedBy;
    }
    let result: PassResult;
    let stepError: unknown;
    try {
      result = await this.execute(cluster, observed, view, step, log, etcd);
    } catch (err) {
      stepError = err;
      result = {};
    }
    const shown: Step =
      stepError && !isTransientRefusal(stepError)
        ? { kind: 'blocked', reason: 'StepFailed', message: `${step.kind} failed: ${errorText(stepError)}`, unhealthy: [] }
        : step;
    const backup = await this.backup(cluster, observed, log);
    await this.writeStatus(cluster, observed, shown, log, backup.action);
    if (backup.requeueMs !== undefined) result = { requeueMs: Math.min(result.requeueMs ?? Infinity, backup.requeueMs) };
    if (stepError) {
      if (isTransientRefusal(stepError)) {
        // A deadline is not a refusal: etcd may have applied the change and its answer been lost, so the next
        // pass reads the membership and goes on from what it finds (a learner added so gets no MemberAdded Event).
        if (isDeadline(stepError)) log.warn({ step: step.kind, err: errorText(stepError) }, 'etcd did not answer the step in time: it may have been applied; the next pass reads etcd again');
        else log.debug({ step: step.kind, refusal: errorText(stepError) }, 'etcd refused the step for now; retrying shortly');
        return { requeueMs: SHORT_REQUEUE_MS };
      }
      throw stepError;
    }
    return result;
  }

  /** The pass's backup action, beside the step; a failed one is logged and decided again next pass. */
  private async backup(c: EtcdCluster, o: Observed, log: Logger): Promise<{ action?: BackupAction; requeueMs?: number }> {
    const action = this.backups.decide(o);
    try {
      return { action, requeueMs: await this.backups.act(c, o, action, log) };
    } catch (err) {
      log.warn({ action: action.kind, err: errorText(err) }, 'backup action failed; retried next pass');
      return { requeueMs: BLOCKED_REQUEUE_MS };
    }
  }

  private async observe(cluster: EtcdCluster, reads: PassReads): Promise<Seen> {
    const namespace = cluster.metadata.namespace!;
    const name = cluster.metadata.name!;
    const [headless, client, sts, pdb, cm, pods, pvcs, clientEndpoints, policy, backup] = await Promise.all([
      reads.get<V1Service>('Service', namespace, name),
      reads.get<V1Service>('Service', namespace, objects.clientServiceName(name)),
      reads.get<V1StatefulSet>('StatefulSet', namespace, name),
      reads.get<V1PodDisruptionBudget>('PodDisruptionBudget', namespace, name),
      reads.get<V1ConfigMap>('ConfigMap', namespace, objects.membersConfigMapName(name)),
      reads.list<V1Pod>('Pod', namespace, CLUSTER_LABEL, name),
      reads.list<V1PersistentVolumeClaim>('PersistentVolumeClaim', namespace, CLUSTER_LABEL, name),
      // Which pods the client Service still sends to (a leaving member is drained before it goes); without
      // them the drain still waits CLIENT_DRAIN_MS, so a failed read does not fail the pass.
      reads.get<V1Endpoints>('Endpoints', namespace, objects.clientServiceName(name)).catch(() => undefined),
      this.opts.networkPolicies ? reads.get<V1NetworkPolicy>('NetworkPolicy', namespace, name) : undefined,
      observeBackup(reads, cluster),
    ]);
    const networkPolicyOutdated = !!this.opts.networkPolicies
      && !isDeepStrictEqual(wireForm(policy?.spec), wireForm(objects.networkPolicy(cluster, this.opts.networkPolicies.operatorNamespace).spec));
    const endpointPods = clientEndpoints
      ? new Set((clientEndpoints.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]).map((a) => a.targetRef?.name))
      : undefined;
    const observedPods = pods.flatMap((p) => {
      const ordinal = ordinalOf(p.metadata?.name ?? '', name);
      return ordinal === undefined ? [] : [observePod(p, ordinal, endpointPods)];
    });
    const observedPvcs = pvcs.flatMap((p) => {
      const ordinal = pvcOrdinal(name, p.metadata?.name ?? '');
      return ordinal === undefined ? [] : [{ name: p.metadata!.name!, ordinal, deleting: !!p.metadata?.deletionTimestamp }];
    });

    // Ask every member that may exist: pods the StatefulSet runs and members the last status listed.
    const ordinals = new Set<number>(observedPods.map((p) => p.ordinal));
    for (let i = 0; i < (sts?.spec?.replicas ?? 0); i++) ordinals.add(i);
    for (const m of cluster.status?.members ?? []) {
      const k = ordinalFromPeerURL(name, namespace, m.peerURL ?? '');
      if (k !== undefined) ordinals.add(k);
    }
    const scheme = schemeOf(cluster);
    // A TLS cluster's members are asked with the controller's client certificate, as its Secret holds it now.
    const certs = tlsEnabled(cluster) ? await this.certificates.observe(cluster) : undefined;
    const etcd = certs?.credentials ? this.etcd.withCredentials(certs.credentials) : this.etcd;
    const endpoints = [...ordinals].sort((a, b) => a - b).map((k) => clientURL(name, namespace, k, scheme));
    // Members status last showed healthy get a second, longer try when slow (EtcdAdmin.observe).
    const healthyBefore = (cluster.status?.members ?? []).filter((m) => m.healthy).map((m) => ordinalFromPeerURL(name, namespace, m.peerURL ?? ''));
    const view = await etcd.observe(endpoints, new Set(healthyBefore.filter((k) => k !== undefined).map((k) => clientURL(name, namespace, k, scheme))));

    let memberEntries: Record<string, MemberStartEntry> | undefined;
    let memberEntriesOutdated = false;
    if (cm) {
      memberEntries = {};
      const ctx = entryContext(cluster);
      for (const [key, text] of Object.entries(cm.data ?? {})) {
        const entry = objects.parseEntry(text);
        if (entry) memberEntries[key] = entry;
        if (!entry || formatEntry(ctx, key, entry) !== text) memberEntriesOutdated = true;
      }
    }
    const pdbMin = pdb?.spec?.minAvailable;
    const observed: Observed = {
      now: Date.now(),
      cluster,
      etcd: toObservation(view, name, namespace),
      servicesPresent: !!headless && !!client,
      statefulSet: sts ? this.statefulSetFacts(cluster, sts) : undefined,
      pdb: pdb ? { minAvailable: typeof pdbMin === 'number' ? pdbMin : Number(pdbMin ?? 0) } : undefined,
      memberEntries,
      ...(memberEntriesOutdated ? { memberEntriesOutdated } : {}),
      ...(networkPolicyOutdated ? { networkPolicyOutdated } : {}),
      ...(certs ? { tls: certs.tls } : {}),
      ...(backup ? { backup } : {}),
      pods: observedPods,
      pvcs: observedPvcs,
    };
    return { observed, view, etcd };
  }

  /** What a rollout needs of the StatefulSet: is its template what spec renders now, and which version it runs. */
  private statefulSetFacts(c: EtcdCluster, sts: V1StatefulSet): NonNullable<Observed['statefulSet']> {
    const templateHash = objects.templateHashOf(sts.spec?.template);
    const wanted = objects.templateHashOf(objects.statefulSet(c, this.opts.images, 0).spec!.template);
    const version = objects.templateVersion(sts.spec?.template);
    return { replicas: sts.spec?.replicas ?? 0, ...(templateHash !== wanted ? { templateOutdated: true } : {}), ...(templateHash ? { templateHash } : {}), ...(version ? { version } : {}) };
  }

  private leaderEndpoint(view: EtcdView): string {
    const s = view.leaderId ? view.status.get(view.leaderId) : undefined;
    if (!s) throw new Error('no leader endpoint to send the membership change to');
    return s.endpoint;
  }

  private async execute(c: EtcdCluster, o: Observed, view: EtcdView, step: Step, log: Logger, etcd: EtcdAdmin): Promise<PassResult> {
    const name = c.metadata.name!;
    const namespace = c.metadata.namespace!;
    const fp = (p: Parameters<typeof failpoint>[0]) => failpoint(p, (msg) => log.warn(msg));
    const done = (kind: string) => {
      membershipSteps.inc({ kind });
      return { requeueMs: AFTER_STEP_MS };
    };
    // Every pass's decision, for tracing a resize step by step (LOG_LEVEL=debug).
    log.debug({ step: step.kind }, 'message' in step ? step.message : step.kind);
    // A begin step is its record (and its Event): in status before anything else, so a controller killed right
    // after finds it.
    if (step.kind === 'begin-repair' || step.kind === 'queue-repair' || step.kind === 'begin-recovery' || step.kind === 'begin-upgrade') await this.writeStatus(c, o, step, log);
    switch (step.kind) {
      case 'idle':
        return {};
      case 'wait':
        return { requeueMs: step.requeueMs };
      case 'blocked':
        return { requeueMs: BLOCKED_REQUEUE_MS };
      case 'issue-certificates': {
        const issued = await this.certificates.issue(c, step.which);
        await this.event(c, 'Normal', 'CertificatesIssued', `${step.message}: ${issued.join(', ')}`);
        return done(step.kind);
      }
      case 'request-certificates':
        await this.certificates.request(c);
        await this.event(c, 'Normal', 'CertificatesRequested', step.message);
        return done(step.kind);
      case 'ensure-network-policy': {
        // Created, or brought back to what it renders (a merge patch replaces the rule lists whole).
        const body = objects.networkPolicy(c, this.opts.networkPolicies?.operatorNamespace);
        await this.kube.ensureCreated(body, 'networkpolicies');
        await this.kube.mergePatch(body, 'networkpolicies');
        return done(step.kind);
      }
      case 'ensure-services':
        await this.kube.ensureCreated(objects.headlessService(c), 'services');
        await this.kube.ensureCreated(objects.clientService(c), 'services');
        return done(step.kind);
      case 'ensure-pdb': {
        const body = objects.pdb(c, this.kube.pdbApiVersion, step.minAvailable);
        if (o.pdb) await this.kube.mergePatch(body, 'poddisruptionbudgets');
        else await this.kube.ensureCreated(body, 'poddisruptionbudgets');
        return done(step.kind);
      }
      case 'write-member-entries': {
        const body = objects.membersConfigMap(c, step.entries);
        if (o.memberEntries) {
          // Replace the data wholesale: entries of members no longer in etcd must go.
          await this.kube.counted('replace', 'configmaps', this.kube.core.replaceNamespacedConfigMap({ name: body.metadata!.name!, namespace, body }));
        } else {
          await this.kube.ensureCreated(body, 'configmaps');
        }
        fp('after-configmap');
        return done(step.kind);
      }
      case 'start-restore':
        await this.backups.startRestore(c, step.message, log);
        return done(step.kind);
      case 'create-statefulset':
        if (await this.kube.ensureCreated(objects.statefulSet(c, this.opts.images, 1), 'statefulsets')) await this.event(c, 'Normal', 'StatefulSetCreated', `created StatefulSet ${name} with ${memberName(name, 0)} bootstrapping a new etcd cluster`);
        return done(step.kind);
      case 'scale-statefulset': {
        const grow = step.replicas > (o.statefulSet?.replicas ?? 0);
        await this.kube.scaleStatefulSet(namespace, name, step.replicas);
        log.info({ replicas: step.replicas }, step.message);
        fp(grow ? 'after-sts-grow' : 'after-sts-shrink');
        return done(step.kind);
      }
      case 'delete-pvc':
        fp('before-pvc-delete');
        try {
          await this.kube.counted('delete', 'persistentvolumeclaims', this.kube.core.deleteNamespacedPersistentVolumeClaim({ name: step.name, namespace }));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        await this.event(c, 'Normal', 'PVCDeleted', `deleted ${step.name}: ${step.message}`);
        return done(step.kind);
      case 'set-serving':
        await this.kube.setPodLabel(namespace, step.pod, SERVING_LABEL, step.serving ? 'true' : null, { [SERVING_CHANGED_AT_ANNOTATION]: new Date().toISOString() });
        log.info({ pod: step.pod, serving: step.serving }, step.message);
        // Not a membership step (no metric of those), but taken as promptly as one.
        return { requeueMs: AFTER_STEP_MS };
      case 'add-learner': {
        // Logged before it is sent too: an add whose answer is lost still happened, and this line says when.
        log.info({ member: step.name, peerURL: step.peerURL }, 'adding member as learner');
        const added = await etcd.addLearner(this.leaderEndpoint(view), step.peerURL);
        log.info({ member: step.name, id: added.id }, 'member added as learner');
        fp('after-learner-add');
        await this.event(c, 'Normal', 'MemberAdded', `added ${step.name} (${added.id}) as a learner at ${step.peerURL}`);
        return done(step.kind);
      }
      case 'promote': {
        try {
          await etcd.promote(this.leaderEndpoint(view), step.member.id);
        } catch (err) {
          if (!isLearnerNotInSync(err)) throw err;
          const age = step.addedAt ? o.now - Date.parse(step.addedAt) : 0;
          if (age > PROMOTE_WARN_AFTER_MS && !this.warnedLearners.has(step.member.id)) {
            this.warnedLearners.add(step.member.id);
            await this.event(c, 'Warning', 'LearnerNotInSync', `learner ${step.member.name} has not caught up with the leader ${Math.round(age / 1000)}s after being added; still retrying`);
          }
          return { requeueMs: SHORT_REQUEUE_MS };
        }
        this.warnedLearners.delete(step.member.id);
        fp('after-promote');
        await this.event(c, 'Normal', 'MemberPromoted', `promoted ${step.member.name} (${step.member.id}) to a voting member`);
        return done(step.kind);
      }
      case 'move-leader':
        await etcd.moveLeader(this.leaderEndpoint(view), step.to.id);
        await this.event(c, 'Normal', 'LeaderMoved', `moved leadership from ${step.from.name} to ${step.to.name} ${step.why}`);
        fp('after-move-leader');
        return done(step.kind);
      case 'begin-upgrade': {
        const u = step.upgrade;
        log.info({ from: u.from, to: u.to, requestedBy: u.requestedBy }, 'upgrade begins');
        await this.event(c, 'Normal', 'UpgradeStarted', `upgrading etcd ${u.from} -> ${u.to}${u.requestedBy ? ` (requested by ${u.requestedBy})` : ''}: one member at a time, followers first, the leader last`);
        fp('after-upgrade-begin');
        return done(step.kind);
      }
      case 'update-statefulset':
        await this.kube.replaceStatefulSetTemplate(namespace, name, objects.statefulSet(c, this.opts.images, 0).spec!.template);
        log.info(step.message);
        fp('after-template-update');
        return done(step.kind);
      case 'begin-repair': {
        const r = step.repair;
        log.warn({ member: r.member, id: r.oldId, reason: r.reason }, r.message);
        await this.event(c, 'Warning', 'MemberReplacing', `replacing ${r.member} (${r.oldId}), ${r.reason}: ${r.message}; it is removed and added again as a new learner`);
        fp('after-repair-begin');
        return done(step.kind);
      }
      case 'queue-repair':
        log.warn({ member: step.repair.member, id: step.repair.oldId, reason: step.repair.reason }, step.message);
        await this.event(c, 'Warning', 'ReplacementQueued', step.message);
        return done(step.kind);
      case 'begin-recovery': {
        const r = step.recovery;
        log.warn({ member: r.member, id: r.id, raftIndex: r.raftIndex, lost: r.lost }, 'recovering from lost quorum');
        const lost = r.lost.map((m) => `${m.member}${m.raftIndex !== undefined ? ` (index ${m.raftIndex}, revision ${m.revision})` : ' (unreachable)'}`).join(', ');
        await this.event(c, 'Warning', 'RecoveryStarted', `recovering from lost quorum from ${r.member} (${r.id}, index ${r.raftIndex}, revision ${r.revision})${r.requestedBy ? `, requested by ${r.requestedBy}` : ''}; discarding the data of ${lost || 'no other member'}`);
        fp('after-recovery-begin');
        return done(step.kind);
      }
      case 'delete-pod':
        try {
          await this.kube.counted('delete', 'pods', this.kube.core.deleteNamespacedPod(
            step.force ? { name: step.pod, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0 } } : { name: step.pod, namespace },
          ));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        log.info({ pod: step.pod, force: step.force }, step.message);
        // The Event with the act: a controller killed right after leaves no restart unannounced.
        await this.event(c, step.force ? 'Warning' : 'Normal', step.force ? 'PodForceDeleted' : 'PodRestarted', step.message);
        fp('after-pod-delete');
        return done(step.kind);
      case 'remove-member':
        await etcd.remove(this.leaderEndpoint(view), step.member.id);
        fp('after-member-remove');
        await this.event(
          c,
          step.reason === 'ScaleDown' ? 'Normal' : 'Warning',
          'MemberRemoved',
          `removed ${step.member.isLearner ? 'learner ' : ''}${step.member.name} (${step.member.id}) from etcd: ${step.message}`,
        );
        return done(step.kind);
    }
  }

  /** The ResizeRequested (or ReplaceRequested) Events of this EtcdCluster (not of an earlier one of the same name). */
  private async requests(c: EtcdCluster, reason: string): Promise<CoreV1Event[]> {
    const events = await this.kube.core.listNamespacedEvent({
      namespace: c.metadata.namespace!,
      fieldSelector: `involvedObject.name=${c.metadata.name},reason=${reason}`,
    });
    return events.items.filter((e) => e.involvedObject?.uid === c.metadata.uid);
  }

  private async writeStatus(c: EtcdCluster, o: Observed, step: Step, log: Logger, backupAction?: BackupAction): Promise<void> {
    let requests: ResizeEventLike[] | undefined;
    // Who asked is looked up once, on the pass that sees a resize begin; the record then lives in status.
    if (resizeBegins(c)) {
      try {
        requests = await this.requests(c, RESIZE_REQUESTED_REASON);
      } catch (err) {
        log.warn({ err: errorText(err) }, 'could not read ResizeRequested events: the resize is recorded without who asked');
      }
    }
    await this.write(c, deriveStatus({ observed: o, step, requests, backupAction }, new Date().toISOString()));
  }

  private async writeFailure(c: EtcdCluster, reason: string, message: string, log: Logger): Promise<void> {
    try {
      await this.write(c, failureStatus(c, reason, message, new Date().toISOString()));
    } catch (err) {
      log.warn({ err: errorText(err) }, 'could not write the status of a failed pass');
    }
  }

  /** Written through the status subresource only when it changed, with the Events its transitions deserve. */
  private async write(c: EtcdCluster, status: EtcdClusterStatus): Promise<void> {
    if (statusEqual(c.status, status)) return;
    await this.kube.patchStatus(c, status);
    await this.statusEvents(c, c.status, status);
    // What the server now holds: a second write of the same pass (a begin step's record, then the pass's status) is skipped.
    c.status = status;
  }

  /** Events on transitions only, so a blocked cluster does not flood the Event stream. */
  private async statusEvents(c: EtcdCluster, prev: EtcdClusterStatus | undefined, next: EtcdClusterStatus): Promise<void> {
    const was = findCondition(prev, 'Degraded');
    const now = findCondition(next, 'Degraded');
    if (now?.status === 'True' && (was?.status !== 'True' || was.message !== now.message)) {
      await this.event(c, 'Warning', now.reason, now.message);
    }
    const lr = next.lastResize;
    const open = prev?.lastResize;
    if (open && !open.completedAt && lr && (lr.to !== open.to || lr.startedAt !== open.startedAt)) {
      await this.event(c, 'Normal', 'ResizeSuperseded', `resize ${open.from} -> ${open.to} stopped at ${lr.from} voting members: a resize to ${lr.to} was requested${lr.requestedBy ? ` by ${lr.requestedBy}` : ''}`);
    }
    if (lr?.completedAt && lr.completedAt !== open?.completedAt) {
      await this.event(c, 'Normal', 'ResizeCompleted', `resize ${lr.from} -> ${lr.to} completed${lr.requestedBy ? ` (requested by ${lr.requestedBy})` : ''}`);
    }
    const rc = next.lastRecovery;
    if (rc?.forcedAt && rc.forcedAt !== prev?.lastRecovery?.forcedAt) {
      await this.event(c, 'Warning', 'RecoveryForcedNewCluster', `${rc.member} (${rc.id}) runs as a one-member cluster (force-new-cluster, once); growing back to ${c.spec.size}`);
    }
    if (rc?.completedAt && rc.completedAt !== prev?.lastRecovery?.completedAt) {
      const took = ((Date.parse(rc.completedAt) - Date.parse(rc.startedAt)) / 1000).toFixed(1);
      await this.event(c, 'Normal', 'RecoveryCompleted', `recovered from lost quorum from ${rc.member} in ${took} s: ${c.spec.size} healthy members`);
    }
    const up = next.lastUpgrade;
    const wasUp = prev?.lastUpgrade;
    if (wasUp && !wasUp.completedAt && up && up.startedAt !== wasUp.startedAt) {
      await this.event(c, 'Normal', 'UpgradeSuperseded', `upgrade ${wasUp.from} -> ${wasUp.to} stopped: ${up.to} was asked for`);
    }
    if (up?.completedAt && up.completedAt !== wasUp?.completedAt) {
      const took = ((Date.parse(up.completedAt) - Date.parse(up.startedAt)) / 1000).toFixed(1);
      await this.event(c, 'Normal', 'UpgradeCompleted', `upgraded etcd ${up.from} -> ${up.to} in ${took} s; cluster version ${next.clusterVersion ?? 'unknown'}`);
    }
    await this.backupEvents(c, prev, next);
    const rp = next.lastRepair;
    if (rp?.completedAt && rp.completedAt !== prev?.lastRepair?.completedAt) {
      const took = ((Date.parse(rp.completedAt) - Date.parse(rp.startedAt)) / 1000).toFixed(1);
      const to = rp.newId ? `${rp.oldId} -> ${rp.newId}` : `${rp.oldId} removed`;
      await this.event(c, 'Normal', 'MemberReplaced', `replaced ${rp.member} (${rp.reason}): ${to} in ${took} s${rp.requestedBy ? ` (requested by ${rp.requestedBy})` : ''}`);
    }
  }

  private async backupEvents(c: EtcdCluster, prev: EtcdClusterStatus | undefined, next: EtcdClusterStatus): Promise<void> {
    const s = next.backup?.lastSnapshot;
    if (s && s.name !== prev?.backup?.lastSnapshot?.name) {
      await this.event(c, 'Normal', 'SnapshotTaken', `snapshot ${s.name} taken from ${s.member}: revision ${s.revision}, ${s.sizeBytes} bytes, sha256 ${s.sha256}`);
    }
    const e = next.backup?.lastError;
    if (e && (e.at !== prev?.backup?.lastError?.at || e.message !== prev?.backup?.lastError?.message)) {
      await this.event(c, 'Warning', 'SnapshotFailed', `${e.message}${e.job ? ` (Job ${e.job})` : ''}`);
    }
    const r = next.restoredFrom;
    if (r && !prev?.restoredFrom) {
      await this.event(c, 'Normal', 'SnapshotRestored', `member 0 restored from ${r.snapshot} of ${r.cluster}: revision ${r.revision}, sha256 ${r.sha256} verified`);
    }
  }

  async event(c: EtcdCluster, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { generateName: `${c.metadata.name}.`, namespace: c.metadata.namespace },
      involvedObject: { apiVersion: API_VERSION, kind: KIND, name: c.metadata.name, namespace: c.metadata.namespace, uid: c.metadata.uid },
      type,
      reason,
      message,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      source: { component: 'etcd-controller' },
      reportingComponent: 'etcd-controller',
    };
    try {
      await this.kube.counted('create', 'events', this.kube.core.createNamespacedEvent({ namespace: c.metadata.namespace!, body }));
    } catch (err) {
      this.log.warn({ reason, err: errorText(err) }, 'could not record Event');
    }
  }
}

/**
 * An object as the API server holds it, to compare what was read with what is rendered: plain data (client-node
 * reads into model classes, with undefined fields), and its model's `_from` under its wire name.
 */
const wireForm = (x: unknown): unknown => (x === undefined ? undefined : JSON.parse(JSON.stringify(x).replaceAll('"_from":', '"from":')));

function toObservation(view: EtcdView, cluster: string, namespace: string): EtcdObservation {
  const members: ObservedMember[] | undefined = view.members?.map((m) => {
    const peer = m.peerURLs[0] ?? '';
    const ordinal = ordinalFromPeerURL(cluster, namespace, peer);
    const s = view.status.get(m.id);
    // Healthy: answers, has the leader the authoritative view names, and raises no alarm.
    const healthy = !!s && !!s.leader && (!view.leaderId || s.leader === view.leaderId) && s.errors.length === 0;
    return {
      id: m.id,
      name: ordinal !== undefined ? memberName(cluster, ordinal) : m.name,
      ordinal,
      peerURL: peer,
      clientURL: m.clientURLs[0] ?? (ordinal !== undefined ? clientURL(cluster, namespace, ordinal, peer.startsWith('https:') ? 'https' : 'http') : ''),
      isLearner: m.isLearner,
      started: m.name !== '',
      healthy,
      answered: !!s,
      ...(s ? { figures: { version: s.version, dbSize: s.dbSize, raftTerm: Number(s.raftTerm), raftIndex: Number(s.raftIndex), revision: Number(s.revision), errors: s.errors } } : {}),
    };
  });
  return { members, authoritative: view.authoritative, leaderId: view.leaderId, problem: view.problem, ...(view.clusterVersion ? { clusterVersion: view.clusterVersion } : {}) };
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'body' in err) {
    const body = (err as { body?: unknown }).body;
    try {
      const parsed = typeof body === 'string' ? JSON.parse(body) : body;
      if (parsed && typeof parsed === 'object' && 'message' in parsed) return String((parsed as { message: unknown }).message);
    } catch {
      // Not JSON: fall through to the message.
    }
  }
  return err instanceof Error ? err.message : String(err);
}
