// Observed members for the controller's pure decision and status tests.
import { clientURL, memberName, peerURL } from '../../core/member-naming.js';
import type { ObservedMember } from '../../core/reconcile-step.js';

export const NS = 'ns1';
export const NAME = 'demo';

/** Member `k` of cluster `demo` in `ns1`: started, healthy, voting; id 0xabc0 + k as 16 hex digits. */
export function member(k: number, opts: Partial<ObservedMember> = {}): ObservedMember {
  return {
    id: (0xabc0 + k).toString(16).padStart(16, '0'),
    name: memberName(NAME, k),
    ordinal: k,
    peerURL: peerURL(NAME, NS, k),
    clientURL: clientURL(NAME, NS, k),
    isLearner: false,
    started: true,
    healthy: true,
    // A member made unhealthy in a test is one that does not answer, unless the test says otherwise.
    answered: opts.healthy ?? true,
    ...opts,
  };
}
