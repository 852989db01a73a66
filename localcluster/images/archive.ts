// A container image as a docker-archive tar (what `ctr images import` and `docker load` read): one tar per
// layer (a root filesystem directory, packed by GNU tar with fixed owners and times so a rebuild of the same
// files gives the same digest), the image config (entry point, env, user), and manifest.json with the tag.
// There is no registry on the machine: images are built here and imported into each node's containerd.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
}

/** A layer already packed as a tar file (cached bases are reused across builds). */
export interface LayerTar {
  path: string;
  /** sha256 of the uncompressed tar, "sha256:<hex>". */
  diffId: string;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** A temporary name beside `out`, unique per process: two clusters starting at once may build the same image
 * (e2e files run in parallel); each writes its own file and the atomic rename lets the last identical one win. */
function tempBeside(out: string): string {
  return `${out}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
}

/** Packs a directory as a layer: numeric root owners, mtime 0, sorted names (reproducible). */
export async function packLayer(rootfs: string, out: string): Promise<LayerTar> {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = tempBeside(out);
  execFileSync('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-cf', tmp, '.']);
  renameSync(tmp, out);
  return { path: out, diffId: `sha256:${await sha256File(out)}` };
}

/** Writes `out` (a docker-archive tar) holding the layers in order and the config, tagged `tag`. */
export function writeArchive(out: string, tag: string, layers: LayerTar[], config: ImageConfig): void {
  const work = mkdtempSync(join(dirname(out), `.${basename(out)}.`));
  try {
    const imageConfig = {
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'localcluster/images' })),
    };
    const configText = JSON.stringify(imageConfig);
    const configName = `${createHash('sha256').update(configText).digest('hex')}.json`;
    writeFileSync(join(work, configName), configText);
    const layerNames = layers.map((l) => {
      const name = `${l.diffId.slice('sha256:'.length)}/layer.tar`;
      mkdirSync(join(work, dirname(name)), { recursive: true });
      // Hard links when the layer sits on the same filesystem: no copy of a 100 MB layer per image.
      try {
        execFileSync('ln', [l.path, join(work, name)]);
      } catch {
        execFileSync('cp', [l.path, join(work, name)]);
      }
      return name;
    });
    writeFileSync(join(work, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: layerNames }]));
    const tmp = tempBeside(out);
    execFileSync('tar', ['-C', work, '--numeric-owner', '--owner=0', '--group=0', '-cf', tmp, '.']);
    renameSync(tmp, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The tag recorded in a docker-archive tar (its manifest.json), for checks and listings. */
export function archiveTag(path: string): string | undefined {
  const manifest = execFileSync('tar', ['-xOf', path, './manifest.json'], { encoding: 'utf8' });
  return (JSON.parse(manifest) as { RepoTags?: string[] }[])[0]?.RepoTags?.[0];
}

/** Files a dynamically linked program loads (ldd), so an image can carry them at the same paths. */
export function sharedLibraries(program: string): string[] {
  const out = execFileSync('ldd', [program], { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]);
  }
  return [...libs];
}
