// HTTP scenarios with autocannon: `history` (GET newest 50 of a room) and `login` (POST /api/auth/login, rotating accounts).
import autocannon from "autocannon";
import { Conn, wsUrlOf } from "../lib/client";
import { Histogram } from "../lib/histogram";
import { CpuMeter, pool, waitFor } from "../lib/progress";
import { register, runTag } from "../lib/provision";
import { Recorder } from "../lib/recorder";
import { clientMsgId, nowMs, stampBody } from "../lib/schedule";
import { boundNote } from "./common";
import { type Ctx, metric, type ScenarioResult } from "./types";

type Req = { method: string; path: string; headers: Record<string, string>; body?: string };

/** Closed loop (autocannon waits for each response), so these latencies are service times under saturation, not open-loop figures. */
async function cannon(ctx: Ctx, name: "history" | "login", requests: () => Req): Promise<ScenarioResult> {
  const hist = new Histogram();
  const statuses: Record<string, number> = {};
  const cpu = new CpuMeter();
  const first = requests();
  const inst = autocannon({
    url: ctx.target.url,
    connections: ctx.plan.httpConnections,
    duration: ctx.plan.httpMs / 1000,
    method: first.method,
    headers: first.headers,
    body: first.body,
    requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, ...requests() }) }],
  });
  inst.on("response", (_c: unknown, status: number, _bytes: number, ms: number) => {
    hist.recordMs(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const tick = setInterval(() => ctx.progress.set(`${ctx.label}: ${hist.count} requests, p99 ${(hist.percentile(99) / 1000).toFixed(2)} ms`), 250);
  const r = await inst;
  clearInterval(tick);
  const genCpu = cpu.read();
  const bad = r.non2xx + r.errors + r.timeouts;
  const bound = boundNote(genCpu, name);
  return {
    scenario: name,
    target: ctx.target.kind,
    metrics: {
      reqPerSec: metric(hist.count / (ctx.plan.httpMs / 1000), "req/s", "higher"),
      p50Ms: metric(hist.percentile(50) / 1000, "ms", "lower"),
      p99Ms: metric(hist.percentile(99) / 1000, "ms", "lower"),
    },
    details: { connections: ctx.plan.httpConnections, seconds: ctx.plan.httpMs / 1000, statuses, errors: r.errors, timeouts: r.timeouts, latencyUs: hist.summary(), notes: bound.notes },
    generatorCpu: Math.round(genCpu * 100) / 100,
    invalid: [],
    generatorBound: bound.generatorBound,
    // Errors under load are failures of the server, like a lost message.
    error: bad > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : undefined,
  };
}

/** Puts at least `count` messages into room 0 so history pages are full. */
async function seed(ctx: Ctx, count: number): Promise<void> {
  const rec = new Recorder(ctx.layout, 1);
  const conn = new Conn(0, wsUrlOf(ctx.target.url), ctx.layout.accounts[0].token, rec, { autoReconnect: false });
  await conn.connect();
  const st = rec.step("h");
  for (let i = 0; i < count; i++) {
    const id = clientMsgId("h", 0, i);
    rec.sent(id);
    conn.send(ctx.layout.rooms[0], id, stampBody(nowMs(), id, ctx.plan.bodyChars));
  }
  await waitFor(() => st.acked >= count, 30_000);
  conn.close();
}

export async function history(ctx: Ctx): Promise<ScenarioResult> {
  await seed(ctx, 60);
  const token = ctx.layout.accounts[0].token;
  const path = `/api/rooms/${ctx.layout.rooms[0]}/messages?limit=50`;
  return cannon(ctx, "history", () => ({ method: "GET", path, headers: { authorization: `Bearer ${token}` } }));
}

/**
 * Logs in accounts registered here, on the server as measured: the run's other accounts may have been
 * provisioned while the server hashed cheaply (see the CLI), and login cost is the password hash.
 */
export async function login(ctx: Ctx): Promise<ScenarioResult> {
  const tag = runTag();
  let made = 0;
  const users = await pool(Array.from({ length: ctx.plan.loginAccounts }, (_, i) => i), 8, async (i) => {
    const a = await register(ctx.target.url, `l${tag}_${i}`);
    ctx.progress.set(`${ctx.label}: registering login accounts ${++made}/${ctx.plan.loginAccounts}`);
    return a;
  });
  let i = 0;
  return cannon(ctx, "login", () => {
    const u = users[i++ % users.length];
    return { method: "POST", path: "/api/auth/login", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: u.username, password: u.password }) };
  });
}
