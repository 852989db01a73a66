// Which local program a container runs. There is no image store here: an image is a promise about the
// filesystem, and two kinds are kept on the host filesystem itself (the conventions of the project brief):
// - etcd images (repository ending in /etcd): Debian's etcd/etcdctl and the host's sh and tools;
// - the operator image: the checkout's bin/<command[0]> entry points.
// Anything else cannot be run and says so in the pod status.

export const OPERATOR_REPOSITORY = 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator';
const HOST_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** Programs of the etcd image that Debian installs under another path. */
const ETCD_IMAGE_PROGRAMS: Record<string, string> = { etcd: '/usr/bin/etcd', etcdctl: '/usr/bin/etcdctl', etcdutl: '/usr/bin/etcdutl' };
const OPERATOR_ENTRY_POINTS = new Set(['etcd-controller', 'etcd-webhook', 'kubectl-etcd']);

export type Resolution =
  | { ok: true; path: string; args: string[] }
  | { ok: false; reason: 'ErrImagePull' | 'RunContainerError'; message: string };

/** The repository part of an image reference (no tag, no digest). */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function isEtcdImage(image: string): boolean {
  const repo = repositoryOf(image);
  return repo === 'etcd' || repo.endsWith('/etcd');
}

export interface HostFs {
  isExecutable(path: string): boolean;
}

/**
 * The program and arguments for a container, following the image's defaults the way a runtime does:
 * `command` replaces the entry point (both images have none), `args` replaces the default command.
 */
export function resolveProgram(image: string, command: string[] | undefined, args: string[] | undefined,
  root: string, fs: HostFs): Resolution {
  const repo = repositoryOf(image);
  if (repo === OPERATOR_REPOSITORY) {
    const argv = command?.length ? [...command, ...(args ?? [])] : args?.length ? args : ['etcd-controller'];
    const name = argv[0].split('/').pop() ?? '';
    const path = `${root}/bin/${name}`;
    if (!OPERATOR_ENTRY_POINTS.has(name) || !fs.isExecutable(path)) {
      return { ok: false, reason: 'RunContainerError', message: `"${argv[0]}" is not an entry point of the operator image (${[...OPERATOR_ENTRY_POINTS].join(', ')} in ${root}/bin)` };
    }
    return { ok: true, path, args: argv.slice(1) };
  }
  if (isEtcdImage(image)) {
    const argv = command?.length ? [...command, ...(args ?? [])] : args?.length ? args : ['/usr/local/bin/etcd'];
    const path = hostProgram(argv[0], fs);
    if (!path) return { ok: false, reason: 'RunContainerError', message: `executable "${argv[0]}" not found on the local node (etcd image programs run from the host filesystem)` };
    return { ok: true, path, args: argv.slice(1) };
  }
  return {
    ok: false,
    reason: 'ErrImagePull',
    message: `image "${image}" is not runnable on the local node agent: it runs etcd images (<registry>/etcd:<tag>, as Debian's etcd) and ${OPERATOR_REPOSITORY}:<tag> (bin/<command>)`,
  };
}

function hostProgram(name: string, fs: HostFs): string | undefined {
  const base = name.split('/').pop() ?? '';
  if (ETCD_IMAGE_PROGRAMS[base] && (!name.includes('/') || name.startsWith('/usr/local/bin/'))) {
    return fs.isExecutable(ETCD_IMAGE_PROGRAMS[base]) ? ETCD_IMAGE_PROGRAMS[base] : undefined;
  }
  if (name.includes('/')) {
    if (fs.isExecutable(name)) return name;
    // The image keeps its tools in /usr/local/bin; the host has its own under the usual PATH.
    return name.startsWith('/usr/local/bin/') ? HOST_PATH.map((d) => `${d}/${base}`).find((p) => fs.isExecutable(p)) : undefined;
  }
  return HOST_PATH.map((d) => `${d}/${base}`).find((p) => fs.isExecutable(p));
}
