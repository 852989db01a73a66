// Pod volumes as host directories, later bind-mounted at their mountPath inside the container's own mount
// namespace: PVC -> its PersistentVolume's directory (outlives the pod), emptyDir -> a directory of the pod,
// Secret/ConfigMap/downwardAPI/projected -> files written here and rewritten at every container (re)start,
// projected serviceAccountToken -> a TokenRequest bound to the pod, renewed at 80% of its lifetime.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, isAbsolute } from 'node:path';
import type { V1Container, V1KeyToPath, V1Pod, V1Volume, V1VolumeProjection } from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';
import { RefReader } from './env.js';
import { fieldValue, PodConfigError } from './fields.js';
import { type Clients, describeError, isNotFound } from './kube.js';
import type { Logger } from '../../core/log.js';

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Not ready yet (a PVC not bound, a ConfigMap not created): the pod stays ContainerCreating and retries. */
export class VolumeNotReady extends Error {}

interface PreparedVolume {
  path: string;
  /** Writes the files again (Secret/ConfigMap/projected/downwardAPI). */
  refresh?: (refs: RefReader) => Promise<void>;
}

/** Rejects subPaths that leave the volume (absolute or with ..). */
export function safeSubPath(subPath: string): string {
  const n = normalize(subPath);
  if (isAbsolute(n) || n === '..' || n.startsWith('../')) throw new PodConfigError(`subPath "${subPath}" must be a relative path inside the volume`);
  return n;
}

/** Files of a volume: written beside, renamed into place; files no longer listed are removed. */
function writeFiles(dir: string, files: Map<string, { data: string | Buffer; mode?: number }>): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, f] of files) {
    const target = join(dir, safeSubPath(rel));
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, f.data, { mode: f.mode ?? 0o644 });
    chmodSync(tmp, f.mode ?? 0o644);
    renameSync(tmp, target);
  }
  const keep = new Set([...files.keys()].map((k) => safeSubPath(k).split('/')[0]));
  for (const entry of readdirSync(dir)) if (!keep.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
}

function keysToFiles(data: Record<string, string>, items: V1KeyToPath[] | undefined, defaultMode: number | undefined,
  what: string, optional: boolean | undefined): Map<string, { data: string; mode?: number }> {
  const files = new Map<string, { data: string; mode?: number }>();
  if (!items?.length) {
    for (const [k, v] of Object.entries(data)) files.set(k, { data: v, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    if (!(item.key in data)) {
      if (optional) continue;
      throw new PodConfigError(`${what} has no key "${item.key}"`);
    }
    files.set(item.path, { data: data[item.key], mode: item.mode ?? defaultMode });
  }
  return files;
}

export class PodVolumes {
  private readonly volumes = new Map<string, PreparedVolume>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly dir: string;

  constructor(private readonly pod: V1Pod, private readonly cfg: AgentConfig, private readonly clients: Clients,
    podDir: string, private readonly podIP: () => string, private readonly log: Logger) {
    this.dir = join(podDir, 'volumes');
  }

  private get namespace(): string { return this.pod.metadata!.namespace!; }

  /** Prepares every volume; throws VolumeNotReady/PodConfigError with a message for the pod status. */
  async prepare(): Promise<void> {
    const refs = new RefReader(this.clients, this.namespace);
    for (const vol of this.pod.spec?.volumes ?? []) {
      if (this.volumes.has(vol.name)) continue;
      const prepared = await this.prepareOne(vol);
      await prepared.refresh?.(refs);
      this.volumes.set(vol.name, prepared);
    }
  }

  /** Rewrites Secret/ConfigMap-backed files (every container start reads current data). */
  async refresh(): Promise<void> {
    const refs = new RefReader(this.clients, this.namespace);
    for (const v of this.volumes.values()) await v.refresh?.(refs);
  }

  mountsFor(container: V1Container): Mount[] {
    return (container.volumeMounts ?? []).map((m) => {
      const vol = this.volumes.get(m.name);
      if (!vol) throw new PodConfigError(`volumeMount "${m.name}" names no volume of the pod`);
      if (m.subPathExpr) throw new PodConfigError(`volumeMount "${m.name}": subPathExpr is not supported by the local node agent`);
      const source = m.subPath ? join(vol.path, safeSubPath(m.subPath)) : vol.path;
      if (m.subPath && !existsSync(source)) mkdirSync(source, { recursive: true });
      return { source, target: m.mountPath, readOnly: !!m.readOnly };
    }).sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Removes the pod's own volume directories (never PVC directories: those live elsewhere). */
  remove(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async prepareOne(vol: V1Volume): Promise<PreparedVolume> {
    const path = join(this.dir, vol.name);
    if (vol.emptyDir) {
      mkdirSync(path, { recursive: true, mode: 0o777 });
      return { path };
    }
    if (vol.persistentVolumeClaim) return { path: await this.claimPath(vol.persistentVolumeClaim.claimName) };
    if (vol.hostPath) {
      if (!existsSync(vol.hostPath.path) && (vol.hostPath.type ?? '') === 'DirectoryOrCreate') mkdirSync(vol.hostPath.path, { recursive: true });
      if (!existsSync(vol.hostPath.path)) throw new VolumeNotReady(`hostPath ${vol.hostPath.path} does not exist`);
      return { path: vol.hostPath.path };
    }
    if (vol.secret) {
      const s = vol.secret;
      return { path, refresh: async (r) => {
        const data = await r.read({ kind: 'Secret', name: s.secretName! });
        if (data === null && !s.optional) throw new VolumeNotReady(`secret "${s.secretName}" not found`);
        writeFiles(path, keysToFiles(data ?? {}, s.items, s.defaultMode, `secret ${s.secretName}`, s.optional));
      } };
    }
    if (vol.configMap) {
      const c = vol.configMap;
      return { path, refresh: async (r) => {
        const data = await r.read({ kind: 'ConfigMap', name: c.name! });
        if (data === null && !c.optional) throw new VolumeNotReady(`configmap "${c.name}" not found`);
        writeFiles(path, keysToFiles(data ?? {}, c.items, c.defaultMode, `configmap ${c.name}`, c.optional));
      } };
    }
    if (vol.downwardAPI) {
      const d = vol.downwardAPI;
      return { path, refresh: async () => writeFiles(path, this.downwardFiles(d.items ?? [], d.defaultMode)) };
    }
    if (vol.projected) {
      const p = vol.projected;
      let tokens = new Map<string, { data: string; mode?: number }>();
      const volume: PreparedVolume = { path, refresh: async (r) => {
        const files = new Map<string, { data: string; mode?: number }>();
        for (const src of p.sources ?? []) {
          if (src.serviceAccountToken) continue;
          for (const [k, v] of await this.projectedFiles(src, p.defaultMode, r)) files.set(k, v);
        }
        writeFiles(path, new Map([...files, ...tokens]));
      } };
      const tokenSources = (p.sources ?? []).filter((s) => s.serviceAccountToken);
      if (tokenSources.length) {
        // Tokens are fetched now and renewed on their own schedule, not at each container start.
        const renew = async (): Promise<void> => {
          const next = new Map<string, { data: string; mode?: number }>();
          let lifetime = Infinity;
          for (const s of tokenSources) {
            const t = s.serviceAccountToken!;
            const { token, seconds } = await this.requestToken(t.audience, t.expirationSeconds ?? 3600);
            next.set(t.path, { data: token, mode: p.defaultMode ?? 0o644 });
            lifetime = Math.min(lifetime, seconds);
          }
          tokens = next;
          writeFiles(path, new Map([...this.currentFiles(path, tokens)]));
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            renew().catch((err) => this.log.warn({ err: String(err) }, 'renewing a ServiceAccount token failed'));
          }, Math.max(10, lifetime * 0.8) * 1000);
          timer.unref();
          this.timers.add(timer);
        };
        await renew();
      }
      return volume;
    }
    const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
    throw new PodConfigError(`volume "${vol.name}": type ${kind} is not supported by the local node agent`);
  }

  /** The other files already in the volume plus fresh tokens (a token renewal must not drop the CA file). */
  private currentFiles(dir: string, tokens: Map<string, { data: string; mode?: number }>): Map<string, { data: string | Buffer; mode?: number }> {
    const files = new Map<string, { data: string | Buffer; mode?: number }>();
    if (existsSync(dir)) {
      for (const entry of readdirSync(dir)) {
        const full = join(dir, entry);
        if (statSync(full).isFile() && !tokens.has(entry)) files.set(entry, { data: readFileSync(full), mode: statSync(full).mode & 0o777 });
      }
    }
    for (const [k, v] of tokens) files.set(k, v);
    return files;
  }

  private downwardFiles(items: { path: string; fieldRef?: { fieldPath: string }; mode?: number; resourceFieldRef?: unknown }[],
    defaultMode?: number): Map<string, { data: string; mode?: number }> {
    const files = new Map<string, { data: string; mode?: number }>();
    for (const item of items) {
      if (!item.fieldRef) throw new PodConfigError(`downwardAPI item ${item.path}: only fieldRef is supported by the local node agent`);
      files.set(item.path, { data: fieldValue(this.pod, item.fieldRef.fieldPath, { podIP: this.podIP(), hostIP: this.cfg.gateway }), mode: item.mode ?? defaultMode });
    }
    return files;
  }

  private async projectedFiles(src: V1VolumeProjection, defaultMode: number | undefined, refs: RefReader): Promise<Map<string, { data: string; mode?: number }>> {
    if (src.configMap || src.secret) {
      const s = (src.configMap ?? src.secret)!;
      const kind = src.configMap ? 'ConfigMap' : 'Secret';
      const data = await refs.read({ kind, name: s.name! });
      if (data === null && !s.optional) throw new VolumeNotReady(`${kind.toLowerCase()} "${s.name}" not found`);
      return keysToFiles(data ?? {}, s.items, defaultMode, `${kind.toLowerCase()} ${s.name}`, s.optional);
    }
    if (src.downwardAPI) return this.downwardFiles(src.downwardAPI.items ?? [], defaultMode);
    throw new PodConfigError('projected volume: unsupported source');
  }

  private async requestToken(audience: string | undefined, expirationSeconds: number): Promise<{ token: string; seconds: number }> {
    const sa = this.pod.spec?.serviceAccountName ?? 'default';
    try {
      const tr = await this.clients.core.createNamespacedServiceAccountToken({ name: sa, namespace: this.namespace, body: { spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds: Math.max(600, expirationSeconds),
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.pod.metadata!.name, uid: this.pod.metadata!.uid },
      } } });
      const expires = tr.status?.expirationTimestamp ? new Date(tr.status.expirationTimestamp).getTime() : Date.now() + expirationSeconds * 1000;
      if (!tr.status?.token) throw new Error('TokenRequest returned no token');
      return { token: tr.status.token, seconds: Math.max(60, (expires - Date.now()) / 1000) };
    } catch (err) {
      throw new VolumeNotReady(`requesting a token for serviceaccount "${sa}": ${describeError(err)}`);
    }
  }

  /** A claim's directory: the hostPath of the PersistentVolume it is bound to. */
  private async claimPath(claimName: string): Promise<string> {
    let pvName: string | undefined;
    try {
      const pvc = await this.clients.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace: this.namespace });
      if (pvc.metadata?.deletionTimestamp) throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" is being deleted`);
      if (pvc.status?.phase !== 'Bound' || !pvc.spec?.volumeName) throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" is not bound yet`);
      pvName = pvc.spec.volumeName;
      const pv = await this.clients.core.readPersistentVolume({ name: pvName });
      const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
      if (!path) throw new PodConfigError(`persistentvolume "${pvName}" is neither hostPath nor local; the local node agent cannot mount it`);
      mkdirSync(path, { recursive: true });
      return path;
    } catch (err) {
      if (err instanceof VolumeNotReady || err instanceof PodConfigError) throw err;
      if (isNotFound(err)) throw new VolumeNotReady(pvName ? `persistentvolume "${pvName}" not found` : `persistentvolumeclaim "${claimName}" not found`);
      throw new VolumeNotReady(`reading persistentvolumeclaim "${claimName}": ${describeError(err)}`);
    }
  }
}
