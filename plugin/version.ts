// The plugin's version: package.json in a checkout or npm install; a standalone build has it compiled in
// (the release bundle defines __KUBECTL_ETCD_VERSION__).
import { readFileSync } from 'node:fs';

declare const __KUBECTL_ETCD_VERSION__: string | undefined;

export function pluginVersion(): string {
  if (typeof __KUBECTL_ETCD_VERSION__ === 'string') return __KUBECTL_ETCD_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
