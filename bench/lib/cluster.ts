// Cluster targets (--nodes), the part the scenarios see: the spec, what a cluster target offers, CPU shares. Starting one is cluster-start.ts (loaded only with --nodes).
import type { Conn, ConnOptions } from "./client";
import type { Layout } from "./provision";
import type { Progress } from "./progress";
import type { Recorder } from "./recorder";

export type StoreKind = "libsql" | "postgres";

export interface ClusterSpec {
  nodes: number;
  store: StoreKind;
  /** Connect straight to the nodes (connection i to node i mod N) instead of through HAProxy. */
  direct: boolean;
  /** Core list for every server-side process we start (nodes, HAProxy, Redis), e.g. "1"; undefined: not pinned. */
  cpus?: string;
}

/** What fanout needs beyond a URL to measure a cluster. */
export interface ClusterInfo {
  topology: string;
  nodeNames: string[];
  /** Opens connections [0, count) like connectAll; node[i] is the index of the node connection i landed on. */
  connectAll(layout: Layout, count: number, rec: Recorder, opts: ConnOptions, progress: Progress, label: string): Promise<{ conns: Conn[]; node: number[] }>;
  /** Cumulative CPU seconds of every server-side process: node1…, haproxy, redis, postgres (one entry per backend serving our database). */
  cpu(): Promise<CpuSample[]>;
}

export interface CpuSample {
  name: string;
  pid: number;
  seconds: number;
}

/**
 * CPU share (one core = 1) of each named group between two samples. A process first seen in `after`
 * started in between (a new PostgreSQL backend): all of its time counts. One gone by `after` is
 * missed, so PostgreSQL's figure is a lower bound.
 */
export function cpuShares(before: CpuSample[], after: CpuSample[], wallSec: number): Record<string, number> {
  const was = new Map(before.map((s) => [s.pid, s.seconds]));
  const out: Record<string, number> = {};
  for (const s of after) out[s.name] = (out[s.name] ?? 0) + (s.seconds - (was.get(s.pid) ?? 0)) / wallSec;
  for (const k of Object.keys(out)) out[k] = Math.round(out[k] * 1000) / 1000;
  return out;
}

export function describe(spec: ClusterSpec): string {
  const store = spec.store === "libsql" ? "libSQL, in-process bus" : "PostgreSQL + Redis bus";
  const via = spec.direct ? (spec.nodes > 1 ? "clients connect straight to the nodes, round robin" : "clients connect straight to the node") : "HAProxy (deploy/haproxy.cfg, leastconn) in front";
  return `${spec.nodes} node${spec.nodes > 1 ? "s" : ""} of the compiled binary · ${store} · ${via}`;
}

