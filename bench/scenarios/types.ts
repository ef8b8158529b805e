// Shared types of the scenarios: the sizing plan (quick vs full), the per-target context, and the result shape written to result.json.
import type { ScenarioName, Slo } from "../lib/args";
import type { AuditReport } from "../lib/audit";
import type { HistogramSummary } from "../lib/histogram";
import type { Progress } from "../lib/progress";
import type { Layout } from "../lib/provision";
import type { Target, TargetKind } from "../lib/target";

export interface Plan {
  /** Connections in rooms (fanout, throughput); one account each. */
  connections: number;
  roomSize: number;
  senders: number;
  /** Offered message rates of the fanout ladder, msgs/s (deliveries/s = rate × roomSize). */
  rates: number[];
  stepMs: number;
  /** A step's drain ends once no delivery arrived for this long. */
  drainQuietMs: number;
  throughputMs: number;
  /** Outstanding sends per sender in the closed loop. */
  window: number;
  idleConnections: number;
  idleCycles: number;
  reconnectClients: number;
  reconnectMsgsPerRoom: number;
  httpMs: number;
  httpConnections: number;
  /** Body size in characters (a realistic chat line, not a 20-byte stamp). */
  bodyChars: number;
}

export const QUICK: Plan = {
  connections: 200, roomSize: 20, senders: 10, rates: [100, 200, 400], stepMs: 2000, drainQuietMs: 1500,
  throughputMs: 2000, window: 4, idleConnections: 500, idleCycles: 3, reconnectClients: 200, reconnectMsgsPerRoom: 5,
  httpMs: 2000, httpConnections: 8, bodyChars: 120,
};

export const FULL: Plan = {
  connections: 2000, roomSize: 20, senders: 100, rates: [100, 250, 500, 1000, 2000, 4000, 8000], stepMs: 10_000, drainQuietMs: 3000,
  throughputMs: 10_000, window: 8, idleConnections: 5000, idleCycles: 3, reconnectClients: 2000, reconnectMsgsPerRoom: 20,
  httpMs: 10_000, httpConnections: 32, bodyChars: 120,
};

export interface Ctx {
  target: Target;
  layout: Layout;
  plan: Plan;
  progress: Progress;
  /** Percentile and threshold that define the fanout knee. */
  knee: Slo;
  slos: Slo[];
  label: string;
}

export interface FanoutStep {
  ratePerSec: number;
  offeredDeliveriesPerSec: number;
  achievedDeliveriesPerSec: number;
  sent: number;
  notSent: number;
  acked: number;
  expected: number;
  delivered: number;
  lost: number;
  latencyUs: HistogramSummary;
  ackLatencyUs: HistogramSummary;
  /** Latency (µs) at each percentile named by an --slo, keyed "p99" etc. */
  sloUs: Record<string, number>;
  /** How late the generator put sends on the wire vs their schedule (its own health). */
  sendLagP99Ms: number;
  generatorCpu: number;
  serverCpu?: number;
  pass: boolean;
  why?: string;
}

export type Metric = { value: number | null; unit: string; better: "higher" | "lower" };

export interface ScenarioResult {
  scenario: ScenarioName;
  target: TargetKind;
  /** Key figures; the report prints them with their ratio to the baseline. */
  metrics: Record<string, Metric>;
  steps?: FanoutStep[];
  details?: Record<string, unknown>;
  audit?: AuditReport;
  /** Highest generator CPU share (one core = 1) seen while measuring. */
  generatorCpu: number;
  invalid: string[];
  error?: string;
}

export function metric(value: number | null | undefined, unit: string, better: "higher" | "lower"): Metric {
  return { value: value === undefined || value === null || !Number.isFinite(value) ? null : Math.round(value * 100) / 100, unit, better };
}

export function sloKey(p: number): string {
  return `p${String(p).replace(".", "")}`;
}
