import type { Condition, EtcdClusterStatus } from './api.js';

export function findCondition(status: EtcdClusterStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function isConditionTrue(status: EtcdClusterStatus | undefined, type: string): boolean {
  return findCondition(status, type)?.status === 'True';
}
