// bin/localcluster-images: builds (or finds cached) every image the local cluster runs and prints one
// "TAG PATH" line per image, for cluster-up.sh to import into each node's containerd.
//   --root DIR --cache DIR --out DIR --pause FILE --etcd VERSION=DIR [--etcd ...] [--busybox FILE]
//   --root DIR --cache DIR --out DIR --only operator        (deploy-operator.sh: the checkout's image alone)
import { parseArgs } from 'node:util';
import { ImageBuilder } from './build.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' }, cache: { type: 'string' }, out: { type: 'string' }, pause: { type: 'string' },
      etcd: { type: 'string', multiple: true }, busybox: { type: 'string' }, only: { type: 'string' },
    },
  });
  const operatorOnly = values.only === 'operator';
  if (!values.root || !values.cache || !values.out || (!operatorOnly && (!values.pause || !values.etcd?.length))) {
    console.error('usage: localcluster-images --root DIR --cache DIR --out DIR (--pause FILE --etcd VERSION=DIR... | --only operator)');
    process.exit(2);
  }
  const etcd: Record<string, string> = {};
  for (const spec of values.etcd ?? []) {
    const [version, dir] = spec.split('=');
    if (!/^\d+\.\d+\.\d+$/.test(version) || !dir) throw new Error(`--etcd ${spec}: expected VERSION=DIR (e.g. 3.5.16=/path/bin)`);
    etcd[version] = dir;
  }
  const builder = new ImageBuilder({
    root: values.root, cache: values.cache, out: values.out, pauseBinary: values.pause ?? '', etcd, busybox: values.busybox,
    log: (line) => console.error(`images: ${line}`),
  });
  const images = operatorOnly ? [await builder.operator()] : await builder.all();
  for (const i of images) console.log(`${i.tag} ${i.path}`);
}

main().catch((err: unknown) => {
  console.error(`localcluster-images: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
