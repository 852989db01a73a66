// The kubectl flags every command shares, and the connection + namespace they resolve to.
import type { Connection } from '../kube/connection.js';
import { explain } from './explain.js';
import type { ColorMode } from './output.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

export interface GlobalArgs {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: OutputFormat;
  color: ColorMode;
}

export interface Session {
  conn: Connection;
  /** -n, else the current context's namespace, else "default" (as kubectl). */
  namespace: string;
}

export async function openSession(args: GlobalArgs): Promise<Session> {
  try {
    const { connect } = await import('../kube/connection.js');
    const conn = await connect({ kubeconfig: args.kubeconfig, context: args.context });
    return { conn, namespace: args.namespace || conn.namespace };
  } catch (e) {
    throw explain(e);
  }
}
