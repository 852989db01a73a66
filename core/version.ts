// The product's version: package.json in a checkout, an npm install or the operator image; a standalone
// plugin build has it compiled in (the release bundle defines __KUBECTL_ETCD_VERSION__).
import { readFileSync } from 'node:fs';

declare const __KUBECTL_ETCD_VERSION__: string | undefined;

export function productVersion(): string {
  if (typeof __KUBECTL_ETCD_VERSION__ === 'string') return __KUBECTL_ETCD_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
