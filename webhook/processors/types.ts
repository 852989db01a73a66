import type { AdmissionRequest, AdmissionResponse } from '../../core/admission-review.js';
import type { ClusterLookup } from '../cluster-cache.js';
import type { ResizeRecorder } from '../resize-events.js';

export interface ProcessorContext {
  maxSize: number;
  clusters: ClusterLookup;
  recorder: ResizeRecorder;
  now(): Date;
  /** Whether a PriorityClass of this name exists; undefined when it could not be asked (nothing is denied then). */
  priorityClassExists?(name: string): Promise<boolean | undefined>;
  /** Whether a PersistentVolumeClaim exists; undefined when it could not be asked (nothing is denied then). */
  pvcExists?(namespace: string, name: string): Promise<boolean | undefined>;
}

/** A processor's answer (the server adds the uid) plus what the decision log line and metrics report. */
export interface Decision {
  response: Omit<AdmissionResponse, 'uid'>;
  kind: 'EtcdCluster' | 'Scale' | 'other';
  rule?: string;
  /** Why nothing was checked, for requests the policy does not cover. */
  note?: string;
}

export type Processor = (req: AdmissionRequest, ctx: ProcessorContext) => Promise<Decision> | Decision;
