// /metrics through prom-client: Parley's series next to the process's own, optionally behind a bearer token.
// Each series is checked to move when its event happens, and labels to stay bounded whatever clients send.
// Speaks only HTTP/WebSocket, so `make test` runs it against the compiled binary too.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client, api, createRoom, register, startServer, type TestServer } from "./test/harness";
import { pgDatabase, startRedis, until } from "./test/cluster";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's sample lines (comments skipped): `name{a="x",b="y"} value`. */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

class Scrape {
  constructor(readonly samples: Sample[]) {}
  static async of(base: string, token?: string): Promise<Scrape> {
    const r = await fetch(base + "/metrics", token ? { headers: { authorization: `Bearer ${token}` } } : {});
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
    return new Scrape(parse(await r.text()));
  }
  /** The series of `name` whose labels include `labels`. */
  all(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }
  /** The one series with exactly these labels (undefined if none). */
  get(name: string, labels: Record<string, string> = {}): number | undefined {
    const n = Object.keys(labels).length;
    return this.all(name, labels).find((s) => Object.keys(s.labels).length === n)?.value;
  }
  /** Like get, 0 for a series not there yet. */
  n(name: string, labels: Record<string, string> = {}): number {
    return this.get(name, labels) ?? 0;
  }
  /** The values one label takes across a metric's series. */
  values(name: string, label: string): Set<string> {
    return new Set(this.all(name).map((s) => s.labels[label]));
  }
}

/** Waits until a scrape satisfies `ok`; returns that scrape. */
async function scrapeUntil(base: string, what: string, ok: (s: Scrape) => boolean): Promise<Scrape> {
  let last: Scrape | undefined;
  await until(what, async () => ok((last = await Scrape.of(base))));
  return last!;
}

async function withServer(fn: (s: TestServer) => Promise<void>, config = {}) {
  const s = await startServer({ config });
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

const FRAME_TYPES = ["hello", "send", "edit", "delete", "react", "history", "typing", "read", "delivered", "presence", "ping"];
const ERROR_CODES = ["invalid_request", "unauthenticated", "invalid_credentials", "token_expired", "forbidden", "not_found", "conflict", "too_large", "unsupported_type", "rate_limited", "registration_closed", "invite_required", "invalid_invite", "last_admin", "internal"];

describe("metrics", () => {
  test("METRICS-1 commits, batch sizes, commit and publish latency, frames, errors and the process's CPU, memory and event-loop lag", async () => {
    await withServer(async (s) => {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      const c = await Client.connect(s, u);
      for (let i = 0; i < 3; i++) expect((await c.request({ type: "send", room, clientMsgId: `m${i}`, body: `m${i}` })).type).toBe("ok");
      expect((await c.request({ type: "send", room: "nope", clientMsgId: "x", body: "x" })).type).toBe("error");
      const m = await fetch(s.url + "/metrics");
      expect(m.status).toBe(200);
      expect(m.headers.get("content-type")).toContain("text/plain");
      const x = new Scrape(parse(await m.text()));
      expect(x.get("parley_sockets")).toBe(1);
      expect(x.get("parley_ws_frames_in_total", { type: "send" })).toBe(4);
      expect(x.n("parley_events_committed_total")).toBeGreaterThanOrEqual(4); // the owner's join, three messages
      expect(x.get("parley_write_batch_events_count")).toBe(x.get("parley_commit_batches_total"));
      expect(x.get("parley_write_batch_events_sum")).toBe(x.get("parley_events_committed_total"));
      expect(x.get("parley_commit_seconds_bucket", { le: "+Inf" })).toBe(x.get("parley_commit_batches_total"));
      expect(x.get("parley_commit_to_publish_seconds_count")).toBe(x.get("parley_commit_batches_total"));
      expect(x.all("parley_ws_errors_total").filter((e) => e.value > 0).map((e) => [e.labels.code, e.value])).toEqual([["not_found", 1]]);
      for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds"]) {
        expect(`${name} ${x.n(name) >= 0 && x.get(name) !== undefined}`).toBe(`${name} true`);
      }
      c.close();
    });
  });

  test("METRICS-2 connections and authenticated users are gauges that follow sockets opening, saying hello and closing", async () => {
    await withServer(async (s) => {
      const [u, v] = [await register(s.url), await register(s.url)];
      const gauges = (x: Scrape) => [x.get("parley_connections"), x.get("parley_sockets"), x.get("parley_users_connected")].join(",");
      expect(gauges(await Scrape.of(s.url))).toBe("0,0,0");
      const raw = new Client(s.wsUrl); // open, no hello yet: a connection, not a user
      await raw.opened;
      await scrapeUntil(s.url, "a connection without hello", (x) => gauges(x) === "1,0,0");
      const a1 = await Client.connect(s, u);
      const a2 = await Client.connect(s, u);
      const b = await Client.connect(s, v);
      expect(gauges(await Scrape.of(s.url))).toBe("4,3,2");
      a1.close();
      await scrapeUntil(s.url, "one socket of u closed", (x) => gauges(x) === "3,2,2");
      a2.close();
      raw.close();
      await scrapeUntil(s.url, "u gone", (x) => gauges(x) === "1,1,1");
      b.close();
      await scrapeUntil(s.url, "everyone gone", (x) => gauges(x) === "0,0,0");
    });
  });

  test("METRICS-3 frames in and out are counted by type; unknown and hostile frame types make no new series", async () => {
    await withServer(async (s) => {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      const c = await Client.connect(s, u);
      const before = await Scrape.of(s.url);
      // Every known type is there from the start (at 0), and nothing else.
      expect([...before.values("parley_ws_frames_in_total", "type")].sort()).toEqual([...FRAME_TYPES].sort());
      expect(before.get("parley_ws_frames_in_total", { type: "hello" })).toBe(1);
      expect(before.get("parley_ws_frames_out_total", { type: "welcome" })).toBe(1);
      expect((await c.request({ type: "ping" })).type).toBe("pong");
      expect((await c.request({ type: "send", room, clientMsgId: "a", body: "hello" })).type).toBe("ok");
      await c.waitEvents(room, 1, "message");
      expect((await c.request({ type: "typing", room })).type).toBe("ok");
      const hostile = ["nope", "__proto__", "constructor", "toString", "x".repeat(200), crypto.randomUUID(), "send ", "SEND", "other"];
      for (const type of hostile) expect((await c.request({ type })).type).toBe("error");
      c.send({ type: 42, id: "n" });
      c.send("not json");
      c.send(JSON.stringify(["an", "array"]));
      expect((await c.request({ type: "ping" })).type).toBe("pong"); // the bad frames above were answered before this
      const after = await Scrape.of(s.url);
      const moved = (name: string, type: string) => after.n(name, { type }) - before.n(name, { type });
      expect([moved("parley_ws_frames_in_total", "ping"), moved("parley_ws_frames_in_total", "send"), moved("parley_ws_frames_in_total", "typing")]).toEqual([2, 1, 1]);
      expect([moved("parley_ws_frames_out_total", "pong"), moved("parley_ws_frames_out_total", "ok"), moved("parley_ws_frames_out_total", "event")]).toEqual([2, 2, 1]);
      expect(moved("parley_ws_frames_out_total", "error")).toBe(hostile.length + 3);
      expect(after.n("parley_ws_errors_total", { code: "invalid_request" }) - before.n("parley_ws_errors_total", { code: "invalid_request" })).toBe(hostile.length + 3);
      // Bounded: the same series as before, no label value a client chose.
      for (const name of ["parley_ws_frames_in_total", "parley_ws_frames_out_total", "parley_ws_errors_total"]) {
        expect(after.all(name).length).toBe(before.all(name).length);
      }
      expect([...after.values("parley_ws_frames_in_total", "type")].sort()).toEqual([...FRAME_TYPES].sort());
      expect(after.values("parley_ws_frames_out_total", "type").has("other")).toBe(false); // every frame we send has a known type
      c.close();
    });
  });

  test("METRICS-4 errors by code, over HTTP and WebSocket, from the fixed set of codes", async () => {
    await withServer(async (s) => {
      const before = await Scrape.of(s.url);
      for (const name of ["parley_http_errors_total", "parley_ws_errors_total"]) {
        expect([...before.values(name, "code")].sort()).toEqual([...ERROR_CODES].sort());
      }
      const u = await register(s.url);
      expect((await api(s.url, "GET", "/api/rooms")).status).toBe(401);
      expect((await api(s.url, "POST", "/api/auth/login", { username: u.user.username, password: "wrong password" })).status).toBe(401);
      expect((await api(s.url, "GET", "/api/no-such-endpoint-" + crypto.randomUUID(), undefined, u.accessToken)).status).toBe(404);
      expect((await api(s.url, "POST", "/api/rooms", "{not json", u.accessToken)).status).toBe(400);
      const after = await Scrape.of(s.url);
      const moved = (code: string) => after.n("parley_http_errors_total", { code }) - before.n("parley_http_errors_total", { code });
      expect(["unauthenticated", "invalid_credentials", "not_found", "invalid_request", "internal"].map(moved)).toEqual([1, 1, 1, 1, 0]);
      expect(after.all("parley_http_errors_total").length).toBe(before.all("parley_http_errors_total").length);
    });
  });

  test("METRICS-5 rate-limit hits are counted by limiter", async () => {
    await withServer(
      async (s) => {
        const u = await register(s.url);
        const room = await createRoom(s.url, u);
        const c = await Client.connect(s, u);
        let limited = 0;
        for (let i = 0; i < 50 && limited < 2; i++) {
          const r = await c.request({ type: "send", room, clientMsgId: `m${i}`, body: "x" });
          if (r.type === "error") {
            expect(r.code).toBe("rate_limited");
            limited++;
          }
        }
        expect(limited).toBe(2);
        const x = await Scrape.of(s.url);
        expect(x.get("parley_rate_limited_total", { limiter: "ws-write-frames-per-user" })).toBe(2);
        expect(x.get("parley_ws_errors_total", { code: "rate_limited" })).toBe(2);
        expect(x.n("parley_rate_limited_total", { limiter: "ws-read-frames-per-user" })).toBe(0);
        c.close();
      },
      { writeBurst: 3, writeRatePerSec: 1 },
    );
  });

  test("METRICS-6 HTTP requests by method, route pattern and status with a latency histogram; random paths and methods make no new series", async () => {
    await withServer(async (s) => {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      expect((await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, u.accessToken)).status).toBe(200);
      expect((await api(s.url, "POST", `/api/rooms/${crypto.randomUUID().slice(0, 16)}/join`, undefined, u.accessToken)).status).toBe(404);
      const random = async () => {
        for (let i = 0; i < 10; i++) {
          const r = crypto.randomUUID();
          await api(s.url, "GET", `/${r}/${i}?q=${r}`);
          await api(s.url, "GET", `/api/${r}`);
          await api(s.url, "POST", `/api/rooms/${r}/x/${r}`, {});
          await fetch(`${s.url}/api/rooms/${r}`, { method: "PROPFIND" });
          await fetch(`${s.url}/assets/${r}.js`, { method: "DELETE" });
        }
      };
      await random();
      await Scrape.of(s.url); // the scrape's own series (route /metrics) exists from here on
      const x = await Scrape.of(s.url);
      const H = "parley_http_request_duration_seconds";
      expect(x.get(H + "_count", { method: "GET", route: "/api/rooms/:id/messages", status: "200" })).toBe(1);
      expect(x.get(H + "_count", { method: "POST", route: "/api/rooms/:id/join", status: "404" })).toBe(1);
      expect(x.get(H + "_count", { method: "POST", route: "/api/rooms", status: "201" })).toBe(1);
      expect(x.get(H + "_count", { method: "POST", route: "/api/auth/register", status: "201" })).toBe(1);
      const messages = { method: "GET", route: "/api/rooms/:id/messages", status: "200" };
      expect(x.get(H + "_bucket", { ...messages, le: "+Inf" })).toBe(1);
      expect(x.n(H + "_sum", messages)).toBeGreaterThan(0);
      // No raw path, query or unknown method became a label value.
      for (const route of x.values(H + "_count", "route")) expect(route).not.toMatch(/[0-9a-f]{8}-/);
      expect([...x.values(H + "_count", "method")].sort()).toEqual(["DELETE", "GET", "POST", "other"]);
      expect(x.get(H + "_count", { method: "other", route: "unmatched", status: "404" })).toBe(10); // PROPFIND
      // A second round of new random paths adds no series at all.
      await random();
      const y = await Scrape.of(s.url);
      expect(y.all(H + "_count").length).toBe(x.all(H + "_count").length);
      expect(y.all(H + "_bucket").length).toBe(x.all(H + "_bucket").length);
      expect(y.get(H + "_count", { method: "GET", route: "/*", status: "404" })).toBe(2 * x.n(H + "_count", { method: "GET", route: "/*", status: "404" }));
    });
  });

  test("METRICS-7 bus publishes and receipts by kind, and the publish → receive lag, between two nodes on Redis", async () => {
    const redis = await startRedis();
    const pg = await pgDatabase("parley_metrics_");
    const shared = { databaseUrl: pg.url + "?max=4", busUrl: redis.url, jwtSecret: "metrics-test-secret-".padEnd(40, "x") };
    const a = await startServer({ config: shared });
    const b = await startServer({ config: shared });
    try {
      const u = await register(a.url);
      const room = await createRoom(a.url, u);
      const onB = await Client.connect(b, u); // B watches the room: A's events reach it over Redis
      const onA = await Client.connect(a, u);
      const before = await Scrape.of(b.url);
      for (let i = 0; i < 3; i++) expect((await onA.request({ type: "send", room, clientMsgId: `m${i}`, body: `m${i}` })).type).toBe("ok");
      await onB.waitEvents(room, 3, "message");
      const pa = await Scrape.of(a.url);
      expect(pa.n("parley_bus_published_total", { kind: "event" })).toBeGreaterThanOrEqual(4); // the room's creation and join, three messages
      const pb = await scrapeUntil(b.url, "B counted A's events", (x) => x.n("parley_bus_received_total", { kind: "event" }) - before.n("parley_bus_received_total", { kind: "event" }) >= 3);
      expect(pb.n("parley_bus_lag_seconds_count") - before.n("parley_bus_lag_seconds_count")).toBeGreaterThanOrEqual(3);
      expect(pb.get("parley_bus_lag_seconds_bucket", { le: "+Inf" })).toBe(pb.get("parley_bus_lag_seconds_count"));
      expect([...pb.values("parley_bus_received_total", "kind")].sort()).toEqual(["close", "ended", "event", "policy", "presence", "room", "user"]);
      onA.close();
      onB.close();
    } finally {
      await a.stop();
      await b.stop();
      await pg.drop();
      await redis.stop();
    }
  });

  test("METRICS-8 hole fills: an event this node's bus never brought is read from the store and counted", async () => {
    // Two nodes on one PostgreSQL database with no bus between them: what one commits, the other's
    // hub learns only from the store, when the next event of the room shows the hole.
    const pg = await pgDatabase("parley_metrics_");
    const shared = { databaseUrl: pg.url + "?max=4", jwtSecret: "metrics-test-secret-".padEnd(40, "x") };
    const a = await startServer({ config: shared });
    const b = await startServer({ config: shared });
    try {
      const u = await register(a.url);
      const room = await createRoom(a.url, u);
      const onA = await Client.connect(a, u);
      const onB = await Client.connect(b, u);
      const before = await Scrape.of(a.url);
      expect((await onB.request({ type: "send", room, clientMsgId: "b1", body: "from b" })).type).toBe("ok");
      expect((await onA.request({ type: "send", room, clientMsgId: "a1", body: "from a" })).type).toBe("ok");
      const got = await onA.waitEvents(room, 2, "message");
      expect(got.map((e) => (e as { clientMsgId?: string }).clientMsgId)).toEqual(["b1", "a1"]); // in seq order, the hole filled first
      const x = await Scrape.of(a.url);
      expect(x.n("parley_hole_fills_total") - before.n("parley_hole_fills_total")).toBe(1);
      expect(x.n("parley_hole_filled_events_total") - before.n("parley_hole_filled_events_total")).toBe(1);
      onA.close();
      onB.close();
    } finally {
      await a.stop();
      await b.stop();
      await pg.drop();
    }
  });

  test("METRICS-9 docs/operations.md lists every Parley series the server exports, and the Grafana dashboard queries only exported series", async () => {
    await withServer(async (s) => {
      const text = await (await fetch(s.url + "/metrics")).text();
      const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const exported = (name: string) => families.has(name) || families.has(name.replace(/_(bucket|sum|count)$/, ""));
      const root = join(import.meta.dir, "..");
      const docs = readFileSync(join(root, "docs/operations.md"), "utf8");
      const section = docs.slice(docs.indexOf("### Metrics"), docs.indexOf("\n## ", docs.indexOf("### Metrics")));
      const documented = new Set([...section.matchAll(/`(parley_[a-z0-9_]+)/g)].map((m) => m[1]));
      expect([...documented].sort()).toEqual([...families].filter((f) => f.startsWith("parley_")).sort());
      const dashboard = JSON.parse(readFileSync(join(root, "deploy/grafana-dashboard.json"), "utf8"));
      const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
      expect(exprs.length).toBeGreaterThan(20);
      const queried = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:parley|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1])));
      expect([...queried].filter((n) => !exported(n))).toEqual([]);
      // Every Parley family is on the dashboard but the delivered-mark internals.
      const shown = new Set([...queried].map((n) => (families.has(n) ? n : n.replace(/_(bucket|sum|count)$/, ""))));
      expect([...families].filter((f) => f.startsWith("parley_") && !shown.has(f))).toEqual(["parley_delivered_flushes_total", "parley_delivered_marks_total"]);
    });
  });

  test("METRICS-10 the search index's passes: the time they held the event loop and the events they covered (libSQL)", async () => {
    await withServer(async (s) => {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      const c = await Client.connect(s, u);
      for (let i = 0; i < 3; i++) expect((await c.request({ type: "send", room, clientMsgId: `i${i}`, body: `indexed ${i}` })).type).toBe("ok");
      // A search brings the index up to date first: every committed event is covered after it.
      expect((await api(s.url, "GET", "/api/search?q=indexed", undefined, u.accessToken)).status).toBe(200);
      const x = await Scrape.of(s.url);
      expect(x.n("parley_search_index_rows_total")).toBeGreaterThanOrEqual(4); // the owner's join, three messages
      expect(x.n("parley_search_index_seconds_total")).toBeGreaterThan(0);
      c.close();
    });
  });

  test("OPS-3 with --metrics-token, /metrics answers only that bearer token; /healthz and /readyz stay open", async () => {
    const token = "scrape-" + crypto.randomUUID();
    const s = await startServer({ config: { metricsToken: token } });
    try {
      const none = await api(s.url, "GET", "/metrics");
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe("unauthenticated");
      expect((await api(s.url, "GET", "/metrics", undefined, token + "x")).status).toBe(401);
      expect((await api(s.url, "GET", "/metrics", undefined, token.slice(0, -1))).status).toBe(401);
      const ok = await api<string>(s.url, "GET", "/metrics", undefined, token);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain("parley_sockets 0");
      expect((await api(s.url, "GET", "/healthz")).status).toBe(200);
      expect((await api(s.url, "GET", "/readyz")).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
