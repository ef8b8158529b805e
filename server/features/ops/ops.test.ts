// Readiness while draining: a graceful stop takes the node out of a balancer's rotation before it closes sockets.

import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { Client, api, createRoom, register, startServer } from "../../test/harness";
import { pgDatabase, until } from "../../test/cluster";

describe("readiness", () => {
  test("OPS-2 from the moment a graceful stop begins /readyz answers 503 draining and /healthz 200, while sockets are still open; the queued send is acked before the 1012 close", async () => {
    // PostgreSQL, so that a test-held row lock can keep a commit (and with it the drain) waiting without blocking the event loop.
    const db = await pgDatabase("parley_ops_");
    const s = await startServer({ config: { databaseUrl: db.url + "?max=4" } });
    // One connection holds the lock inside a transaction, the other watches for the server's commit to wait on it.
    const locker = new SQL({ url: db.url, max: 1 });
    const watcher = new SQL({ url: db.url, max: 1 });
    let release!: () => void;
    let stopping: Promise<void> | undefined;
    try {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      const c = await Client.connect(s, u);
      let closedAt: number | undefined;
      void c.closed.then(() => (closedAt = Date.now()));
      expect((await api(s.url, "GET", "/readyz")).body).toEqual({ status: "ready" });

      // Hold the room's row: the next send's commit waits for it, so the writer has work to drain.
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const held = locker.begin(async (tx) => {
        await tx`SELECT id FROM rooms WHERE id = ${room} FOR UPDATE`;
        locked();
        await new Promise<void>((r) => (release = r));
      });
      await isLocked;
      c.send({ type: "send", id: "held", room, clientMsgId: "held-1", body: "committed during the drain" });
      await until("the send's commit to wait for the row lock", async () => {
        const [row] = await watcher`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${new URL(db.url).pathname.slice(1)} AND wait_event_type = 'Lock'`;
        return row.n > 0;
      });

      stopping = s.stop();
      const ready = await api(s.url, "GET", "/readyz");
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 503, body: { status: "draining" } });
      const health = await api(s.url, "GET", "/healthz");
      expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: { status: "ok" } });
      expect(closedAt).toBeUndefined();

      release();
      await held;
      // The drain goes on as before: the queued send is committed and acked, then the socket closes with 1012.
      expect((await c.next((f) => f.id === "held")).type).toBe("ok");
      expect((await c.closed).code).toBe(1012);
      await stopping;
    } finally {
      release?.();
      await (stopping ?? s.stop());
      await locker.close();
      await watcher.close();
      await db.drop();
    }
  }, 30_000);
});
