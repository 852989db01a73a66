// The plugin never talks to etcd through the API server's pod proxy: `create pods/proxy` would let its users
// write to etcd (PUT and DELETE keys through etcd's JSON gateway). A guard over the sources; the behaviour (which
// requests `status` and `members` make) is tested against the stand-in API server in plugin-cli.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugin');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sources(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

test('no plugin source names a /proxy/ path', () => {
  const files = sources(PLUGIN);
  // The scan sees the modules that make requests, so an empty result means something.
  expect(files.map((f) => relative(PLUGIN, f))).toEqual(expect.arrayContaining(['kube/resources.ts', 'kube/http.ts', 'commands/status/gather.ts']));
  expect(files.filter((f) => readFileSync(f, 'utf8').includes('/proxy/')).map((f) => relative(PLUGIN, f))).toEqual([]);
});
