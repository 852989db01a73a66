// The images the local cluster runs, built on this machine (no registry, no container engine):
// - the pause image (sandbox of every pod): the static pause binary built from the Kubernetes tree;
// - gcr.io/etcd-development/etcd:v<version> for each etcd the machine has, etcd/etcdctl/etcdutl at
//   /usr/local/bin as in the official images, with the libc files Debian's builds link;
// - a busybox image for tests and debugging (shell, cat, wget, nc);
// - the operator image, laid out by the Dockerfile's last stage (see dockerfile.ts and operatorImage()).
// Fixed images are cached by what they are made of; the operator image by the files it copies.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { packLayer, sha256File, sharedLibraries, writeArchive, type ImageConfig, type LayerTar } from './archive.js';
import { parseDockerfile, type Stage } from './dockerfile.js';

export const PAUSE_IMAGE = 'k8s.gcr.io/pause:3.2';
export const ETCD_REPOSITORY = 'gcr.io/etcd-development/etcd';
export const OPERATOR_REPOSITORY = 'ghcr.io/etcd-k8s-operator/etcd-k8s-operator';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildOptions {
  /** The checkout (Dockerfile, dist/, bin/, package.json). */
  root: string;
  /** Cache of fixed images and layers (~/.cache/etcd-k8s-operator/images). */
  cache: string;
  /** Where the operator image goes (it changes with every build of the checkout). */
  out: string;
  pauseBinary: string;
  /** etcd version -> directory holding etcd, etcdctl (and etcdutl from 3.5 on). */
  etcd: Record<string, string>;
  busybox?: string;
  log?: (line: string) => void;
}

export interface BuiltImage {
  tag: string;
  path: string;
}

/** Key of a set of files: path, size and modification time of each, and any extra text. */
function inputKey(paths: string[], extra = ''): string {
  const h = createHash('sha256').update(extra);
  const walk = (p: string): void => {
    const st = lstatSync(p);
    h.update(`${p}\0${st.size}\0${st.mtimeMs}\0${st.mode}\n`);
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  };
  for (const p of paths) walk(p);
  return h.digest('hex').slice(0, 16);
}

function fresh(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copies a file to the same absolute path inside rootfs, following symlinks (ld.so, libc). */
function addFile(rootfs: string, hostPath: string, at = hostPath, mode?: number): void {
  const dest = join(rootfs, at);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(hostPath), dest);
  chmodSync(dest, mode ?? statSync(hostPath).mode & 0o7777);
}

function addProgram(rootfs: string, hostPath: string, at: string): void {
  addFile(rootfs, hostPath, at, 0o755);
  for (const lib of sharedLibraries(hostPath)) addFile(rootfs, lib);
}

/** /etc/passwd and /etc/group with root, the node image's `node` (1000) and distroless' `nonroot` (65532). */
function addUsers(rootfs: string): void {
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnonroot:x:65532:\n');
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
}

function addBusybox(rootfs: string, busybox: string): void {
  addFile(rootfs, busybox, '/bin/busybox', 0o755);
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const dest = join(rootfs, applet);
    if (existsSync(dest)) continue;
    mkdirSync(dirname(dest), { recursive: true });
    symlinkSync('/bin/busybox', dest);
  }
}

export class ImageBuilder {
  private readonly log: (line: string) => void;

  constructor(private readonly o: BuildOptions) {
    this.log = o.log ?? (() => undefined);
    mkdirSync(join(o.cache, 'layers'), { recursive: true });
    mkdirSync(o.out, { recursive: true });
  }

  /** A one-layer image made by `fill(rootfs)`, cached under `file` while `key` stays the same. */
  private async cachedImage(file: string, tag: string, key: string, config: ImageConfig, fill: (rootfs: string) => void): Promise<BuiltImage> {
    const path = join(this.o.cache, `${file}.tar`);
    const keyFile = `${path}.key`;
    if (existsSync(path) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return { tag, path };
    this.log(`building ${tag}`);
    const work = mkdtempSync(join(this.o.cache, `.${file}.`));
    try {
      const rootfs = join(work, 'rootfs');
      mkdirSync(rootfs);
      fill(rootfs);
      const layer = await packLayer(rootfs, join(work, 'layer.tar'));
      writeArchive(path, tag, [layer], config);
      writeFileSync(keyFile, key);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return { tag, path };
  }

  pause(): Promise<BuiltImage> {
    const bin = this.o.pauseBinary;
    return this.cachedImage('pause-3.2', PAUSE_IMAGE, inputKey([bin]), { Entrypoint: ['/pause'] }, (rootfs) => addFile(rootfs, bin, '/pause', 0o755));
  }

  etcd(version: string): Promise<BuiltImage> {
    const dir = this.o.etcd[version];
    const programs = ['etcd', 'etcdctl', 'etcdutl'].filter((p) => existsSync(join(dir, p)));
    return this.cachedImage(`etcd-v${version}`, `${ETCD_REPOSITORY}:v${version}`, inputKey(programs.map((p) => join(dir, p))),
      { Env: [PATH_ENV], Cmd: ['/usr/local/bin/etcd'], WorkingDir: '/var/lib/etcd' },
      (rootfs) => {
        for (const p of programs) addProgram(rootfs, join(dir, p), `/usr/local/bin/${p}`);
        addUsers(rootfs);
        mkdirSync(join(rootfs, 'var/lib/etcd'), { recursive: true });
      });
  }

  busybox(): Promise<BuiltImage> {
    const bin = this.o.busybox ?? '/bin/busybox';
    const version = /BusyBox v(\S+)/.exec(execFileSync(bin, [], { encoding: 'utf8' }))?.[1] ?? 'unknown';
    return this.cachedImage(`busybox-${version}`, `localhost/busybox:${version.replace(/[^\w.-]/g, '-')}`, inputKey([bin]),
      { Env: [PATH_ENV], Cmd: ['sh'] },
      (rootfs) => {
        addBusybox(rootfs, bin);
        addUsers(rootfs);
      });
  }

  /**
   * The base the Dockerfile's last stage starts from. Only `node:<major>-bookworm-slim` is known: the pinned
   * Node (its major must match), the libraries it links, a POSIX shell and tools (busybox, for RUN and
   * bin/_launch), the image's users, PATH as the official image sets it.
   */
  private async base(name: string): Promise<{ layer: LayerTar; dir: string; config: ImageConfig }> {
    const m = /^node:(\d+)-bookworm-slim$/.exec(name);
    if (!m) throw new Error(`base image ${name} is not one localcluster/images can stand in for (node:<major>-bookworm-slim)`);
    const node = realpathSync(join(this.o.root, '.tools/node'));
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    if (version.split('.')[0] !== `v${m[1]}`) throw new Error(`the Dockerfile builds on ${name} but the pinned Node is ${version}`);
    const dir = join(this.o.cache, 'layers', `base-node-${version}`);
    const tar = `${dir}.tar`;
    const config: ImageConfig = { Env: [PATH_ENV, `NODE_VERSION=${version.slice(1)}`], Cmd: ['node'] };
    if (!existsSync(tar) || !existsSync(join(dir, 'usr/local/bin/node'))) {
      this.log(`building base ${name} (Node ${version})`);
      fresh(dir);
      addProgram(dir, node, '/usr/local/bin/node');
      addBusybox(dir, this.o.busybox ?? '/bin/busybox');
      addUsers(dir);
      mkdirSync(join(dir, 'home/node'), { recursive: true });
      await packLayer(dir, tar);
    }
    return { layer: { path: tar, diffId: `sha256:${await sha256File(tar)}` }, dir, config };
  }

  /** node_modules as the build stage leaves it after `npm prune --omit=dev`: production dependencies only. */
  private productionModules(): string {
    const lock = readFileSync(join(this.o.root, 'package-lock.json'));
    const dir = join(this.o.cache, 'layers', `modules-${createHash('sha256').update(lock).digest('hex').slice(0, 16)}`);
    if (!existsSync(join(dir, 'node_modules/.package-lock.json'))) {
      this.log('installing production dependencies for the operator image (npm ci --omit=dev)');
      fresh(dir);
      copyFileSync(join(this.o.root, 'package.json'), join(dir, 'package.json'));
      copyFileSync(join(this.o.root, 'package-lock.json'), join(dir, 'package-lock.json'));
      execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    return join(dir, 'node_modules');
  }

  /**
   * Where a `COPY --from=build /src/X` source is here: the build stage is this checkout after `make build`
   * (the same tsc into dist/), with node_modules pruned to production dependencies.
   */
  private buildStagePath(stage: Stage, source: string): string {
    const workdir = stage.instructions.find((i) => i.op === 'WORKDIR');
    const base = workdir?.op === 'WORKDIR' ? workdir.path : '/';
    const rel = posix.relative(base, posix.resolve(base, source));
    if (rel.startsWith('..')) throw new Error(`COPY --from=${stage.name} ${source}: outside the build stage's ${base}`);
    if (rel === 'node_modules') return this.productionModules();
    return join(this.o.root, rel);
  }

  async operator(): Promise<BuiltImage> {
    const dockerfile = readFileSync(join(this.o.root, 'Dockerfile'), 'utf8');
    const stages = parseDockerfile(dockerfile);
    const final = stages[stages.length - 1];
    const version = (JSON.parse(readFileSync(join(this.o.root, 'package.json'), 'utf8')) as { version: string }).version;
    const tag = `${OPERATOR_REPOSITORY}:${version}`;
    const base = await this.base(final.base);
    const sourceOf = (from: string | undefined, src: string): string => {
      if (!from) return join(this.o.root, src);
      const stage = stages.find((s) => s.name === from);
      if (!stage) throw new Error(`COPY --from=${from}: no such stage`);
      return this.buildStagePath(stage, src);
    };
    const copies = final.instructions.flatMap((i) => (i.op === 'COPY' ? i.sources.map((s) => sourceOf(i.from, s)) : []));
    const key = inputKey(copies, dockerfile + base.layer.diffId);
    const path = join(this.o.out, `operator-${key}.tar`);
    if (existsSync(path)) return { tag, path };
    this.log(`building ${tag} from the Dockerfile`);
    const work = mkdtempSync(join(this.o.out, '.operator.'));
    try {
      const upper = join(work, 'upper');
      mkdirSync(upper);
      const config: ImageConfig = { ...base.config, Env: [...(base.config.Env ?? [])] };
      let workdir = '/';
      for (const i of final.instructions) {
        switch (i.op) {
          case 'ENV':
            for (const [k, v] of i.vars) config.Env = [...config.Env!.filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
            break;
          case 'WORKDIR':
            workdir = posix.resolve(workdir, i.path);
            mkdirSync(join(upper, workdir), { recursive: true });
            config.WorkingDir = workdir;
            break;
          case 'COPY':
            for (const src of i.sources) {
              const from = sourceOf(i.from, src);
              const destDir = i.dest.endsWith('/') || i.sources.length > 1;
              const dest = posix.resolve(workdir, i.dest);
              // A directory's contents go into DEST; a file goes into DEST/ or becomes DEST.
              const target = statSync(from).isDirectory() ? dest : destDir ? posix.join(dest, posix.basename(src)) : dest;
              mkdirSync(dirname(join(upper, target)), { recursive: true });
              cpSync(from, join(upper, target), { recursive: true, verbatimSymlinks: true });
            }
            break;
          case 'RUN':
            this.runInImage(base.dir, upper, join(work, 'overlay'), workdir, i.command);
            break;
          case 'USER':
            config.User = i.user;
            break;
          case 'ENTRYPOINT':
            config.Entrypoint = i.argv.length ? i.argv : undefined;
            break;
          case 'CMD':
            config.Cmd = i.argv;
            break;
        }
      }
      const app = await packLayer(upper, join(work, 'app.tar'));
      writeArchive(path, tag, [base.layer, app], config);
      // Older builds of the checkout are of no use once a newer one exists.
      for (const f of readdirSync(this.o.out)) if (/^operator-[0-9a-f]+\.tar$/.test(f) && join(this.o.out, f) !== path) rmSync(join(this.o.out, f), { force: true });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return { tag, path };
  }

  /** RUN: the command in the image's filesystem (base below, this stage's files above), changes to `upper`. */
  private runInImage(lower: string, upper: string, scratch: string, workdir: string, command: string): void {
    const merged = join(scratch, 'merged');
    const ovlWork = join(scratch, 'work');
    mkdirSync(merged, { recursive: true });
    mkdirSync(ovlWork, { recursive: true });
    // A private mount namespace: the overlay never outlives the command, even if this process is killed.
    execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
      'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" && exec chroot "$4" /bin/sh -c "cd \\"$5\\" && $6"',
      'run', lower, upper, ovlWork, merged, workdir, command], { stdio: ['ignore', 'inherit', 'inherit'] });
  }

  async all(): Promise<BuiltImage[]> {
    const images = [await this.pause(), await this.busybox()];
    for (const v of Object.keys(this.o.etcd).sort()) images.push(await this.etcd(v));
    images.push(await this.operator());
    return images;
  }
}
