// How the plugin reaches the API server. A CLI pays its start-up on every call, and loading
// @kubernetes/client-node costs ~200 ms (its generated API comes with its KubeConfig), more than a whole
// `kubectl get`. So the kubeconfig is read here the way kubectl reads it ($KUBECONFIG merge, first wins) for
// the usual credentials (token, token file, client certificate, exec plugin); anything else (auth-provider,
// basic auth, proxy-url) is handed to client-node's KubeConfig through core/kubeconfig.ts.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
// js-yaml rather than `yaml`: a third of the load and parse time, paid on every command.
import { load } from 'js-yaml';

export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
}

export interface Connection {
  server: URL;
  /** TLS material and headers for every request. */
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername' | 'auth' | 'agent'>;
  headers: Record<string, string>;
  /** The current context's namespace, "default" when it names none (what kubectl uses without -n). */
  namespace: string;
  context: string;
}

interface ClusterEntry { server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'tls-server-name'?: string; 'proxy-url'?: string }
interface ExecEntry { command: string; args?: string[]; env?: { name: string; value: string }[]; apiVersion?: string }
interface UserEntry {
  token?: string; tokenFile?: string;
  'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string;
  exec?: ExecEntry; 'auth-provider'?: unknown; username?: string; password?: string;
}
interface ContextEntry { cluster?: string; user?: string; namespace?: string }

/** The merged view of the kubeconfig files, with each entry's file (relative paths resolve against it). */
export interface KubeConfigFiles {
  currentContext?: string;
  contexts: Map<string, { entry: ContextEntry; dir: string }>;
  clusters: Map<string, { entry: ClusterEntry; dir: string }>;
  users: Map<string, { entry: UserEntry; dir: string }>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class ConfigError extends Error {}

export function kubeconfigPaths(explicit?: string): string[] {
  if (explicit) return [explicit];
  const env = process.env.KUBECONFIG;
  if (env) return env.split(delimiter).filter((p) => p !== '');
  return [join(homedir(), '.kube', 'config')];
}

export function readKubeConfigFiles(explicit?: string): KubeConfigFiles {
  const merged: KubeConfigFiles = { contexts: new Map(), clusters: new Map(), users: new Map() };
  for (const file of kubeconfigPaths(explicit)) {
    if (!existsSync(file)) {
      if (explicit) throw new ConfigError(`kubeconfig ${file} does not exist`);
      continue;
    }
    let doc: Record<string, unknown>;
    try {
      doc = (load(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`kubeconfig ${file} is not valid YAML: ${(e as Error).message}`);
    }
    const dir = dirname(file);
    if (!merged.currentContext && typeof doc['current-context'] === 'string' && doc['current-context']) merged.currentContext = doc['current-context'];
    addAll(merged.contexts, doc.contexts, 'context', dir);
    addAll(merged.clusters, doc.clusters, 'cluster', dir);
    addAll(merged.users, doc.users, 'user', dir);
  }
  return merged;
}

/** kubectl's merge rule: the first file that names an entry wins. */
function addAll<T>(into: Map<string, { entry: T; dir: string }>, list: unknown, key: string, dir: string): void {
  if (!Array.isArray(list)) return;
  for (const item of list as Record<string, unknown>[]) {
    const name = item?.name;
    const entry = item?.[key] as T | undefined;
    if (typeof name === 'string' && entry && !into.has(name)) into.set(name, { entry, dir });
  }
}

export async function connect(opts: ConnectOptions = {}): Promise<Connection> {
  const files = readKubeConfigFiles(opts.kubeconfig);
  const contextName = opts.context ?? files.currentContext;
  if (!contextName) {
    if (!opts.kubeconfig && process.env.KUBERNETES_SERVICE_HOST && existsSync(`${SA_DIR}/token`)) return inCluster();
    throw new ConfigError(`no current context: pass --context or --kubeconfig (looked in ${kubeconfigPaths(opts.kubeconfig).join(', ')})`);
  }
  const ctx = files.contexts.get(contextName);
  if (!ctx) throw new ConfigError(`context "${contextName}" not found in kubeconfig`);
  const cluster = ctx.entry.cluster ? files.clusters.get(ctx.entry.cluster) : undefined;
  if (!cluster?.entry.server) throw new ConfigError(`context "${contextName}" names no cluster with a server address`);
  const user = ctx.entry.user ? files.users.get(ctx.entry.user) : undefined;
  const namespace = ctx.entry.namespace || 'default';
  const u = user?.entry ?? {};
  if (u['auth-provider'] || u.username || cluster.entry['proxy-url']) return viaClientNode(opts, contextName, namespace);

  const c = cluster.entry;
  const tls: Connection['tls'] = {};
  const ca = material(c['certificate-authority-data'], c['certificate-authority'], cluster.dir);
  if (ca) tls.ca = ca;
  if (c['insecure-skip-tls-verify']) tls.rejectUnauthorized = false;
  if (c['tls-server-name']) tls.servername = c['tls-server-name'];
  const headers: Record<string, string> = {};
  const cert = material(u['client-certificate-data'], u['client-certificate'], user?.dir ?? '');
  const key = material(u['client-key-data'], u['client-key'], user?.dir ?? '');
  if (cert && key) Object.assign(tls, { cert, key });
  let token = u.token ?? (u.tokenFile ? readFileSync(resolve(u.tokenFile, user?.dir ?? ''), 'utf8').trim() : undefined);
  if (u.exec) {
    const cred = await execCredential(u.exec, c.server ?? '');
    token = cred.token ?? token;
    if (cred.clientCertificateData && cred.clientKeyData) Object.assign(tls, { cert: cred.clientCertificateData, key: cred.clientKeyData });
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  return { server: new URL(c.server!), tls, headers, namespace, context: contextName };
}

function resolve(path: string, dir: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

function material(data: string | undefined, file: string | undefined, dir: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(resolve(file, dir));
  return undefined;
}

interface ExecStatus { token?: string; clientCertificateData?: string; clientKeyData?: string }

/** The client.authentication.k8s.io exec protocol (what cloud CLIs such as gke-gcloud-auth-plugin speak). */
function execCredential(exec: ExecEntry, server: string): Promise<ExecStatus> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false, cluster: { server } } }) };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  return new Promise((done, fail) => {
    execFile(exec.command, exec.args ?? [], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return fail(new ConfigError(`credential plugin ${exec.command} failed: ${stderr.trim() || err.message}`));
      try {
        done((JSON.parse(stdout) as { status?: ExecStatus }).status ?? {});
      } catch {
        fail(new ConfigError(`credential plugin ${exec.command} did not print an ExecCredential`));
      }
    });
  });
}

function inCluster(): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const ns = existsSync(`${SA_DIR}/namespace`) ? readFileSync(`${SA_DIR}/namespace`, 'utf8').trim() : 'default';
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    tls: { ca: readFileSync(`${SA_DIR}/ca.crt`) },
    headers: { Authorization: `Bearer ${readFileSync(`${SA_DIR}/token`, 'utf8').trim()}` },
    namespace: ns,
    context: 'in-cluster',
  };
}

/** Credentials this module does not speak: client-node applies them (costs its load time, only here). */
async function viaClientNode(opts: ConnectOptions, context: string, namespace: string): Promise<Connection> {
  const { loadKubeConfig } = await import('../../core/kubeconfig.js');
  const kc = loadKubeConfig({ kubeconfig: opts.kubeconfig, context });
  const o: RequestOptions = {};
  await kc.applyToHTTPSOptions(o);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new ConfigError(`context "${context}" names no cluster with a server address`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) if (typeof v === 'string') headers[k] = v;
  const { ca, cert, key, rejectUnauthorized, servername, auth, agent } = o;
  return { server: new URL(server), tls: { ca, cert, key, rejectUnauthorized, servername, auth, agent }, headers, namespace, context };
}
