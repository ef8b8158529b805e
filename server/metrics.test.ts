// /metrics through prom-client: Parley's series next to the process's own, optionally behind a bearer token.
// Speaks only HTTP/WebSocket, so `make test` runs it against the compiled binary too.

import { describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer } from "./test/harness";

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  test("METRICS-1 commits, batch sizes, commit and publish latency, frames, errors and the process's CPU, memory and event-loop lag", async () => {
    const s = await startServer();
    try {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      const c = await Client.connect(s, u);
      for (let i = 0; i < 3; i++) expect((await c.request({ type: "send", room, clientMsgId: `m${i}`, body: `m${i}` })).type).toBe("ok");
      expect((await c.request({ type: "send", room: "nope", clientMsgId: "x", body: "x" })).type).toBe("error");
      const m = await fetch(s.url + "/metrics");
      expect(m.status).toBe(200);
      expect(m.headers.get("content-type")).toContain("text/plain");
      const text = await m.text();
      expect(sample(text, "parley_sockets")).toBe(1);
      expect(sample(text, 'parley_ws_frames_total{type="send"}')).toBe(4);
      expect(sample(text, "parley_events_committed_total")).toBeGreaterThanOrEqual(4); // the owner's join, three messages
      expect(sample(text, "parley_write_batch_events_count")).toBe(sample(text, "parley_commit_batches_total"));
      expect(sample(text, "parley_write_batch_events_sum")).toBe(sample(text, "parley_events_committed_total"));
      expect(sample(text, 'parley_commit_seconds_bucket{le="+Inf"}')).toBe(sample(text, "parley_commit_batches_total"));
      expect(sample(text, "parley_commit_to_publish_seconds_count")).toBe(sample(text, "parley_commit_batches_total"));
      expect(text).toMatch(/^parley_ws_errors_total\{code="[a-z_]+"\} 1$/m);
      for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds"]) {
        expect(`${name} ${sample(text, name)! >= 0}`).toBe(`${name} true`);
      }
      c.close();
    } finally {
      await s.stop();
    }
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
