// Shared types of the scenarios: the sizing plan (quick vs full), the per-target context, and the result shape written to result.json.
import type { ScenarioName, Slo } from "../lib/args";
import type { AuditReport } from "../lib/audit";
import type { HistogramSummary } from "../lib/histogram";
import type { Progress } from "../lib/progress";
import type { Layout } from "../lib/provision";
import type { StoreShare } from "../lib/server-metrics";
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
  /** Outstanding sends per sender in the closed loops (throughput, commit). */
  window: number;
  /** Commit (P4): senders, each alone in its own room, so a delivery is the sender's own echo and the ack is what counts. */
  commitSenders: number;
  commitMs: number;
  idleConnections: number;
  idleCycles: number;
  reconnectClients: number;
  reconnectMsgsPerRoom: number;
  httpMs: number;
  httpConnections: number;
  /** Accounts the login scenario registers on the measured server (so their hashes carry its real cost). */
  loginAccounts: number;
  /** Body size in characters (a realistic chat line, not a 20-byte stamp). */
  bodyChars: number;
}

export const QUICK: Plan = {
  connections: 200, roomSize: 20, senders: 10, rates: [100, 200, 400], stepMs: 2000, drainQuietMs: 1500,
  throughputMs: 2000, window: 4, commitSenders: 100, commitMs: 2000, idleConnections: 500, idleCycles: 3,
  reconnectClients: 200, reconnectMsgsPerRoom: 5, httpMs: 2000, httpConnections: 8, loginAccounts: 16, bodyChars: 120,
};

/**
 * Sized to the issue's targets: fanout and throughput on 1,000 connections in rooms of 20 (the ladder
 * includes 5,000 msgs/s = 100,000 deliveries/s offered, P2), idle at 10,000 connections (P3), and the
 * commit scenario with 100 senders (P4). The ladder ends at P2's load: one generator core reading
 * 100,000 frames/s from 1,000 Bun WebSocket clients is already at 75-95 % (the bare client costs ~73 %),
 * so higher steps would only measure the generator.
 */
export const FULL: Plan = {
  connections: 1000, roomSize: 20, senders: 100, rates: [250, 500, 1000, 2000, 3000, 4000, 5000], stepMs: 10_000, drainQuietMs: 3000,
  throughputMs: 10_000, window: 8, commitSenders: 100, commitMs: 10_000, idleConnections: 10_000, idleCycles: 3,
  reconnectClients: 10_000, reconnectMsgsPerRoom: 20, httpMs: 10_000, httpConnections: 32, loginAccounts: 100, bodyChars: 120,
};

export interface Ctx {
  target: Target;
  layout: Layout;
  plan: Plan;
  progress: Progress;
  /** Percentile and threshold that define the fanout knee. */
  knee: Slo;
  slos: Slo[];
  /** Offered msgs/s the fanout ladder must measure even past the knee (the SLOs' and targets' loads). */
  requiredRates: number[];
  label: string;
  /** Generator processes for fanout (--workers): each owns whole rooms. */
  workers: number;
  /** Fanout (--delivered): receiving connections report delivery as a real client does. */
  delivered: boolean;
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
  /** --workers: share of its core of each generator process while sending (generatorCpu is the highest). */
  generatorCpuBy?: number[];
  /** Generator CPU-seconds (all its processes) ÷ deliveries received, from the step's first send to the end of its drain, in µs. */
  generatorUsPerDelivery?: number | null;
  /** Server CPU-seconds ÷ messages acked in the step, µs. */
  serverUsPerMsg?: number;
  /** Parley, not --nodes: µs per acked message its store held the event loop over the same window (lib/server-metrics.ts). */
  storeUsPerMsg?: StoreShare;
  /** Server CPU share (one core = 1); with --nodes the sum over serverCpuBy. */
  serverCpu?: number;
  /** --nodes: CPU share of each server-side process group (node1…, haproxy, redis, postgres). */
  serverCpuBy?: Record<string, number>;
  /** --nodes: latency of deliveries to receivers on the sender's node (local) and on another node (remote). */
  crossing?: { local: HistogramSummary; remote: HistogramSummary };
  /** Parley, not --nodes: delivered-mark writes (statements) and marks written from before the step to the end of its drain (`/metrics`). */
  deliveredWrites?: { flushes: number; marks: number };
  /** 1-minute load average at the end of the step (other work on the machine shows up in the tails). */
  loadavg?: number;
  /** Cores' worth of CPU the rest of the machine used meanwhile (busy time beyond generator and server), and the share stolen by the hypervisor. */
  otherCpu?: number;
  stealCpu?: number;
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
  /** The generator's cost over the measured phase: CPU per delivery received, its processes, and whether one of them was the limit. */
  generatorCost?: { usPerDelivery: number | null; cpuSec: number; deliveries: number; processes: number; shares: number[]; limited: boolean };
  invalid: string[];
  /** A closed loop limited by the generator's CPU: its rates are lower bounds (see boundNote). */
  generatorBound?: boolean;
  error?: string;
}

export function metric(value: number | null | undefined, unit: string, better: "higher" | "lower"): Metric {
  return { value: value === undefined || value === null || !Number.isFinite(value) ? null : Math.round(value * 100) / 100, unit, better };
}

export function sloKey(p: number): string {
  return `p${String(p).replace(".", "")}`;
}
