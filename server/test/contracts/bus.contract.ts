// Bus contract: the delivery guarantees written on ports/bus.ts, run against every adapter through a factory.

import { afterAll, describe, expect, test } from "bun:test";
import type { Bus, BusMessage } from "../../ports/bus";
import type { Proc } from "../cluster";

export interface BusFactory {
  /** A new node's bus on the shared broker (every call: one more node). */
  open(): Promise<Bus>;
  /**
   * Network adapters: several nodes share a broker, and a node gets only what it watches. The
   * in-process bus is one node that hands every message to its handler.
   */
  network: boolean;
  /** Network adapters: a broker of the test's own, to kill and restart, and a node on it. */
  ownBroker?(): Promise<Proc>;
  openAt?(url: string): Promise<Bus>;
}

const WAIT_MS = 10_000;
const RESTART_WAIT_MS = 20_000;

/** Records what a node's handler got; `until` resolves once a predicate holds, or rejects after a timeout. */
class Node {
  readonly got: BusMessage[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  constructor(readonly bus: Bus) {
    bus.subscribe((m) => {
      this.got.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred() ? (w.resolve(), false) : true));
    });
  }
  until(pred: () => boolean, ms = WAIT_MS, what = "a message"): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.got.slice(-3))}`)), ms);
      this.waiters.push({ pred, resolve: () => (clearTimeout(t), resolve()) });
    });
  }
  /** Messages whose frame text is `json` (tests put a unique tag there). */
  tagged(prefix: string): string[] {
    return this.got.flatMap((m) => ("json" in m && m.json.startsWith(prefix) ? [m.json] : []));
  }
}

function within(p: Promise<void>, ms: number, what: string): Promise<void> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([p, new Promise<void>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

const rid = () => crypto.randomUUID().replaceAll("-", "").slice(0, 16);
const ev = (room: string, seq: number, tag: string, member?: { userId: string; change: "join" }): BusMessage =>
  member ? { kind: "event", room, seq, member, json: tag } : { kind: "event", room, seq, json: tag };

export function busContract(factory: BusFactory) {
  const opened: Bus[] = [];
  const node = async (b?: Promise<Bus>) => {
    const bus = await (b ?? factory.open());
    opened.push(bus);
    return new Node(bus);
  };
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()));
  });

  describe("one node", () => {
    test("BUS-1 a node gets its own publishes synchronously, in publish order, once each", async () => {
      const a = await node();
      const room = rid();
      await a.bus.watchRoom(room);
      for (let i = 1; i <= 500; i++) a.bus.publish(ev(room, i, `o1-${i}`));
      expect(a.tagged("o1-")).toEqual(Array.from({ length: 500 }, (_, i) => `o1-${i + 1}`));
    });

    test("BUS-2 a policy change reaches every node's handler without any watch", async () => {
      const a = await node();
      const room = rid();
      a.bus.publish({ kind: "policy", room });
      expect(a.got.filter((m) => m.kind === "policy" && m.room === room)).toHaveLength(1);
    });

    test("BUS-3 close resolves, stops delivery, and a publish after it neither throws nor arrives", async () => {
      const a = await node();
      const room = rid();
      await a.bus.watchRoom(room);
      await a.bus.close();
      a.bus.publish(ev(room, 1, "o3-after"));
      expect(a.tagged("o3-")).toEqual([]);
    });
  });

  if (!factory.network) return;

  describe("several nodes", () => {
    test("BUS-4 what one node publishes reaches another in per-publisher order, exactly once per publish", async () => {
      const [a, b] = [await node(), await node()];
      const [room, user] = [rid(), rid()];
      await Promise.all([b.bus.watchRoom(room), b.bus.watchUser(user)]);
      const n = 1000;
      for (let i = 1; i <= n; i++) {
        // Every tenth is a member event for a user b watches: it goes out on two channels, arrives once.
        a.bus.publish(i % 10 === 0 ? ev(room, i, `o4-${i}`, { userId: user, change: "join" }) : ev(room, i, `o4-${i}`));
        if (i % 100 === 0) a.bus.publish({ kind: "room", room, json: `o4-signal-${i}` });
      }
      // Per-publisher order holds across channels: once this last user message is in, so is the rest.
      a.bus.publish({ kind: "user", user, json: "o4-end" });
      await b.until(() => b.tagged("o4-end").length > 0, WAIT_MS, "the end marker");
      expect(b.tagged("o4-").filter((t) => !t.startsWith("o4-signal") && t !== "o4-end")).toEqual(Array.from({ length: n }, (_, i) => `o4-${i + 1}`));
      expect(b.tagged("o4-signal")).toEqual(Array.from({ length: n / 100 }, (_, i) => `o4-signal-${(i + 1) * 100}`));
      expect(b.got.filter((m) => m.kind === "event" && m.member).map((m) => (m as { seq: number }).seq)).toEqual(Array.from({ length: n / 10 }, (_, i) => (i + 1) * 10));
    });

    test("BUS-5 watchRoom resolves once confirmed: a publish right after it arrives; a node gets a room only while watching it", async () => {
      const [a, b] = [await node(), await node()];
      const [room, other] = [rid(), rid()];
      await b.bus.watchRoom(other);
      a.bus.publish(ev(room, 1, "o5-unwatched"));
      a.bus.publish({ kind: "room", room: other, json: "o5-passed" }); // the one above went through the broker before the watch
      await b.until(() => b.tagged("o5-passed").length > 0);
      await b.bus.watchRoom(room);
      a.bus.publish(ev(room, 2, "o5-watched"));
      await b.until(() => b.tagged("o5-watched").length > 0); // one in flight when the watch ends may be dropped
      b.bus.unwatchRoom(room);
      a.bus.publish(ev(room, 3, "o5-unwatched-again"));
      a.bus.publish({ kind: "room", room: other, json: "o5-marker" }); // after everything above, from the same publisher
      await b.until(() => b.tagged("o5-marker").length > 0);
      expect(b.tagged("o5-")).toEqual(["o5-passed", "o5-watched", "o5-marker"]);
      // And a is no recipient of rooms it does not watch, even its own.
      expect(a.tagged("o5-")).toEqual([]);
    });

    test("BUS-6 user channels: signals and closes reach the nodes watching the user; a member event reaches them without a room watch", async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const [room, user] = [rid(), rid()];
      await b.bus.watchUser(user);
      a.bus.publish({ kind: "user", user, json: "o6-signal" });
      a.bus.publish(ev(room, 7, "o6-join", { userId: user, change: "join" }));
      a.bus.publish({ kind: "close", user, code: 4003, reason: "o6-close" });
      await b.until(() => b.got.some((m) => m.kind === "close" && m.user === user));
      expect(b.tagged("o6-")).toEqual(["o6-signal", "o6-join"]);
      expect(b.got.filter((m) => m.kind === "close")).toEqual([{ kind: "close", user, code: 4003, reason: "o6-close" }]);
      // c watches nothing of this: it got none of it (policy, which goes everywhere, proves c is listening).
      a.bus.publish({ kind: "policy", room });
      await c.until(() => c.got.some((m) => m.kind === "policy" && m.room === room));
      expect(c.got.filter((m) => m.kind !== "policy")).toEqual([]);
    });

    test("BUS-7 a policy change reaches every node, watching or not", async () => {
      const nodes = [await node(), await node(), await node()];
      const room = rid();
      nodes[0].bus.publish({ kind: "policy", room });
      for (const n of nodes) await n.until(() => n.got.some((m) => m.kind === "policy" && m.room === room));
      for (const n of nodes) expect(n.got.filter((m) => m.kind === "policy" && m.room === room)).toHaveLength(1);
    });

    test("BUS-12 an `ended` message (sessions of a user) reaches every node, watching or not, with its session ids", async () => {
      const nodes = [await node(), await node(), await node()];
      const user = rid();
      nodes[1].bus.publish({ kind: "ended", user, sessions: ["s1", "s2"] });
      for (const n of nodes) await n.until(() => n.got.some((m) => m.kind === "ended" && m.user === user));
      for (const n of nodes) expect(n.got.filter((m) => m.kind === "ended" && m.user === user)).toEqual([{ kind: "ended", user, sessions: ["s1", "s2"] }]);
    });

    test("BUS-8 after close a node gets nothing more; the others go on", async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const room = rid();
      await Promise.all([b.bus.watchRoom(room), c.bus.watchRoom(room)]);
      await b.bus.close();
      a.bus.publish(ev(room, 1, "o8-1"));
      await c.until(() => c.tagged("o8-").length > 0);
      expect(b.tagged("o8-")).toEqual([]);
    });
  });

  if (!factory.ownBroker || !factory.openAt) return;
  const { ownBroker, openAt } = factory;

  describe("broker restart", () => {
    let broker: Proc | undefined;
    afterAll(async () => {
      await broker?.stop();
    });

    test(
      "BUS-9 after the broker is killed and restarted, watches come back by themselves, onReconnect fires, and nothing published during the outage arrives late",
      async () => {
        broker = await ownBroker();
        const [a, b] = [await node(openAt(broker.url)), await node(openAt(broker.url))];
        const [room, user] = [rid(), rid()];
        await Promise.all([b.bus.watchRoom(room), b.bus.watchUser(user)]);
        let reconnected!: () => void;
        const reconnect = new Promise<void>((res) => (reconnected = res));
        b.bus.onReconnect(() => reconnected());
        a.bus.publish(ev(room, 1, "o9-before"));
        await b.until(() => b.tagged("o9-before").length > 0);

        await broker.kill();
        a.bus.publish(ev(room, 2, "o9-during")); // dropped at once (logged), never sent late
        a.bus.publish({ kind: "user", user, json: "o9-during-user" });
        await broker.restart();
        await within(reconnect, RESTART_WAIT_MS, "onReconnect");

        // a's own connection may come back a moment later: publish until one arrives, on each channel.
        for (const [i, kind] of [[3, "room"], [4, "user"]] as const) {
          const tag = `o9-after-${kind}`;
          const deadline = Date.now() + RESTART_WAIT_MS;
          while (b.tagged(tag).length === 0) {
            if (Date.now() > deadline) throw new Error(`${tag} never arrived`);
            a.bus.publish(kind === "room" ? ev(room, i, tag) : { kind: "user", user, json: tag });
            await b.until(() => b.tagged(tag).length > 0, 200).catch(() => undefined);
          }
        }
        expect(b.tagged("o9-during")).toEqual([]);
        expect(b.tagged("o9-before")).toEqual(["o9-before"]);
      },
      RESTART_WAIT_MS * 3,
    );
  });
}
