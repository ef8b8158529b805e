// The cluster rules (CLUSTER-*) as one test body, run on the Redis bus (server/cluster.test.ts) and the NATS bus (server/cluster-nats.test.ts).

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { RoomEvent } from "../protocol/types";
import { startPushService } from "../features/push/test-push-service";
import { startCluster, until, type BusKind, type Cluster } from "./cluster";
import { Client, api, createRoom, register, type Session } from "./harness";

/** Waits for frames and for HAProxy; a test that times out names what it waited for. */
const WAIT_MS = 20_000;
/** The hub compares quiet rooms with the store every 20 s; a reconnect triggers it at once. */
const REPAIR_WAIT_MS = 45_000;
/** Nodes of the main cluster announce offline this long after a user's last socket closed. */
export const PRESENCE_GRACE_MS = 2_000;
const START_MS = 120_000;

export const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export const send = (c: Client, room: string, body: string, clientMsgId: string = crypto.randomUUID()) => c.request({ type: "send", room, clientMsgId, body });

export const join = async (base: string, room: string, s: Session) => {
  const r = await api(base, "POST", `/api/rooms/${room}/join`, undefined, s.accessToken);
  if (r.status !== 200) throw new Error(`join: ${r.status} ${JSON.stringify(r.body)}`);
};

/** "" when `seqs` is exactly from..to in order; otherwise what is wrong with it (duplicates, holes, disorder). */
export function seqProblems(events: { seq: number }[], from: number, to: number): string {
  const seqs = events.map((e) => e.seq);
  const want = range(from, to);
  if (seqs.length === want.length && seqs.every((s, i) => s === want[i])) return "";
  const seen = new Map<number, number>();
  for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
  const dupes = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
  const missing = want.filter((s) => !seen.has(s));
  const extra = seqs.filter((s) => s < from || s > to);
  const disorder = seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]);
  return JSON.stringify({ want: `${from}..${to}`, got: seqs.length, duplicates: dupes.slice(0, 20), missing: missing.slice(0, 20), outside: extra.slice(0, 20), firstDisorderAt: disorder >= 0 ? seqs.slice(Math.max(0, disorder - 3), disorder + 3) : null });
}

/** Resolves once the client has an event of the room with seq ≥ `seq`. */
export const waitSeq = (c: Client, room: string, seq: number, timeoutMs = WAIT_MS) =>
  c.next((f) => f.type === "event" && f.event.room === room && f.event.seq >= seq, { timeoutMs }).catch((e) => {
    const have = c.events(room).map((x) => x.seq);
    throw new Error(`waiting for seq ${seq} in ${room}: have ${have.length} events up to ${have.at(-1)}; ${(e as Error).message}`);
  });

/** Every event of a room through HTTP, paged with `after`. */
export async function pageAll(base: string, room: string, token: string): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  for (let after = 0; ; ) {
    const r = await api(base, "GET", `/api/rooms/${room}/messages?after=${after}&limit=200`, undefined, token);
    if (r.status !== 200) throw new Error(`history: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(...r.body.events);
    if (!r.body.hasMore || r.body.events.length === 0) return out;
    after = r.body.events.at(-1).seq;
  }
}

/** The events of every `gap` frame `c` got for `room`, read from history as a client does. */
export async function fillGaps(base: string, c: Client, room: string, token: string): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  for (const g of c.frames.filter((f) => f.type === "gap" && f.room === room)) {
    for (let after = g.fromSeq - 1; after < g.toSeq; ) {
      const r = await api(base, "GET", `/api/rooms/${room}/messages?after=${after}&limit=200`, undefined, token);
      if (r.status !== 200) throw new Error(`history: ${r.status} ${JSON.stringify(r.body)}`);
      const page = (r.body.events as RoomEvent[]).filter((e) => e.seq <= g.toSeq);
      out.push(...page);
      if (page.length === 0) break;
      after = page.at(-1)!.seq;
    }
  }
  return out;
}

/** The sockets a node counts (its Prometheus gauge). */
export async function socketsOn(base: string): Promise<number> {
  const text = await (await fetch(base + "/metrics")).text();
  return Number(/^parley_sockets (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** One sender writing into a room as fast as its acks come back, until stopped or its socket closes. */
export class Traffic {
  readonly acked: { seq: number; clientMsgId: string }[] = [];
  readonly failures: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly c: Client, private readonly room: string, private readonly tag: string) {
    this.done = this.run();
  }

  private async run() {
    let gone = false;
    void this.c.closed.then(() => (gone = true));
    // A failing sender stops after a few failures rather than spinning on instant errors.
    for (let i = 0; !this.stopped && !gone && this.failures.length < 20; i++) {
      const r = await Promise.race([send(this.c, this.room, `${this.tag} ${i}`, `${this.tag}-${i}`).catch((e) => ({ type: "error", code: String(e) })), this.c.closed.then(() => undefined)]);
      if (r?.type === "ok") this.acked.push({ seq: r.event.seq, clientMsgId: r.event.clientMsgId });
      else if (r) this.failures.push(`${r.code}: ${r.message ?? ""}`);
    }
  }

  /** Resolves once `n` more sends were acked than when called. */
  more(n: number, timeoutMs = WAIT_MS): Promise<void> {
    const target = this.acked.length + n;
    return until(`${n} more acks from ${this.tag} (failures: ${this.failures.slice(-3).join("; ")})`, () => this.acked.length >= target, timeoutMs);
  }

  async stop() {
    this.stopped = true;
    await this.done;
  }
}

export type RuleId = "1" | "2" | "3" | "4" | "5" | "7" | "8" | "10" | "11" | "12";

/**
 * The main cluster's rules on `bus`: three nodes of dist/parley on one PostgreSQL database, behind
 * HAProxy. `rules` picks which to run (the NATS file runs 1, 3, 5, 7 and 11).
 */
export function clusterRules(bus: BusKind, rules: RuleId[]) {
  describe(`cluster of three on ${bus}`, () => {
    let cl: Cluster;
    let admin: Session;
    const open: Client[] = [];
    /** Client.connect, remembered so that each test ends with its sockets closed. */
    const connect = async (server: { wsUrl: string }, s: Session, since?: Record<string, number>) => {
      const c = await Client.connect(server, s, since);
      open.push(c);
      return c;
    };
    /** The client's socket is subscribed to the room once its own message comes back to it. */
    const ready = async (c: Client, room: string) => {
      const r = await send(c, room, "here");
      expect(r.type).toBe("ok");
      await waitSeq(c, room, r.event.seq);
    };

    beforeAll(async () => {
      cl = await startCluster({
        bus,
        extra: [
          "--write-burst", "100000", "--write-rate", "100000", "--read-burst", "100000", "--read-rate", "100000", "--presence-grace", String(PRESENCE_GRACE_MS),
          // CLUSTER-11's push service listens on http://127.0.0.1.
          "--push-allow-loopback-http",
        ],
      });
      admin = await register(cl.lb.url); // the first account: server admin
    }, START_MS);
    afterAll(async () => {
      await cl?.stop();
    }, START_MS);
    afterEach(async () => {
      for (const c of open.splice(0)) c.close();
      // A node killed by a test is back before the next one starts.
      for (const n of cl?.nodes ?? []) if (!n.alive()) await n.restart();
      await cl?.lb.waitUp(cl.nodes.length);
    }, START_MS);

    const rule = (id: RuleId, name: string, fn: () => Promise<void>, timeoutMs = 60_000) => {
      if (rules.includes(id)) test(name, fn, timeoutMs);
    };

    rule("1", "CLUSTER-1 20 concurrent senders on three nodes: every receiver on every node sees the same gapless seq order; every ack is stored exactly once", async () => {
      const { nodes, lb } = cl;
      const owner = await register(lb.url);
      const room = await createRoom(nodes[0].url, owner, "public", "cluster-1");
      const senders = await Promise.all(range(1, 20).map(() => register(lb.url)));
      const watchers = await Promise.all(range(1, 5).map(() => register(lb.url)));
      await Promise.all([...senders, ...watchers].map((s, i) => join(nodes[i % 3].url, room, s)));
      // Watchers: one straight on each node, two through HAProxy; senders: three of four on a node, one through HAProxy.
      const watching = await Promise.all(watchers.map((s, i) => connect(i < 3 ? nodes[i] : lb, s, { [room]: 0 })));
      const sending = await Promise.all(senders.map((s, i) => connect(i % 4 < 3 ? nodes[i % 4] : lb, s, { [room]: 0 })));
      expect(await Promise.all(nodes.map((n) => socketsOn(n.url)))).not.toContain(0);

      const acks = await Promise.all(sending.flatMap((c, i) => range(0, 9).map((j) => send(c, room, `sender ${i} message ${j}`, `c1-${i}-${j}`))));
      expect(acks.filter((a) => a.type !== "ok")).toEqual([]);
      const last = Math.max(...acks.map((a) => a.event.seq));

      const everyone = [...watching, ...sending];
      await Promise.all(everyone.map((c) => waitSeq(c, room, last)));
      const shape = (e: any) => `${e.seq}:${e.kind}:${e.clientMsgId ?? e.userId}`;
      const reference = everyone[0].events(room).map(shape);
      for (const c of everyone) {
        expect(seqProblems(c.events(room), 1, last)).toBe("");
        expect(c.events(room).map(shape)).toEqual(reference);
      }
      // Each sender's pipelined messages keep their sending order.
      for (let i = 0; i < senders.length; i++) {
        const seqs = acks.slice(i * 10, i * 10 + 10).map((a) => a.event.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }

      // Stored exactly once, read through a node other than the one most senders used.
      const stored = await pageAll(nodes[1].url, room, owner.accessToken);
      expect(seqProblems(stored, 1, last)).toBe("");
      const messages = stored.filter((e) => e.kind === "message");
      expect(messages.length).toBe(200);
      expect(new Set(messages.map((m) => (m as { clientMsgId: string }).clientMsgId)).size).toBe(200);
      const bySeq = new Map(stored.map((e) => [e.seq, e]));
      for (const a of acks) expect((bySeq.get(a.event.seq) as { clientMsgId?: string })?.clientMsgId).toBe(a.event.clientMsgId);

      // Each node keeps the newest page while the room's head stands: a message acked through node A is on
      // the newest page of B and C as soon as the ack is in, bus or no bus (the head is read from the store).
      const newest = async (base: string) => (await api(base, "GET", `/api/rooms/${room}/messages?limit=20`, undefined, owner.accessToken)).body.events.at(-1).seq;
      for (const n of nodes) for (let i = 0; i < 2; i++) expect(await newest(n.url)).toBe(last);
      const more = await send(sending[0], room, "after the pages were kept");
      expect(more.type).toBe("ok");
      for (const n of nodes) expect(await newest(n.url)).toBe(more.event.seq);
    });

    rule("2", "CLUSTER-2 resume from any seq on any node: a reader that saw up to k on node A gets exactly k+1..N on node C, while sends go on", async () => {
      const { nodes, lb } = cl;
      const writer = await register(lb.url);
      const reader = await register(lb.url);
      const room = await createRoom(nodes[1].url, writer, "public", "cluster-2");
      await join(nodes[0].url, room, reader);
      const w = await connect(nodes[1], writer);
      const sendMany = (n: number, tag: string) => Promise.all(range(1, n).map((i) => send(w, room, `${tag} ${i}`, `${tag}-${i}`)));

      const a = await connect(nodes[0], reader, { [room]: 0 });
      const first = await sendMany(20, "c2a");
      await waitSeq(a, room, first.at(-1).event.seq);
      a.close();
      await a.closed;
      const k = a.events(room).at(-1)!.seq;
      expect(seqProblems(a.events(room), 1, k)).toBe("");

      // The writer keeps sending while the reader is away and while it comes back on node C.
      const during = sendMany(20, "c2b");
      const c = await connect(nodes[2], reader, { [room]: k });
      const after = await sendMany(5, "c2c");
      expect([...(await during), ...after].every((r) => r.type === "ok")).toBe(true);
      const n = after.at(-1).event.seq;
      await waitSeq(c, room, n);
      expect(seqProblems(c.events(room), k + 1, n)).toBe("");

      // Any seq, any node: every resume replays exactly what follows it, then goes on live without a gap.
      const from = [0, 1, Math.floor(n / 2), n - 1, n];
      const resumed = await Promise.all([...nodes, lb].flatMap((node) => from.map(async (since) => ({ since, c: await connect(node, reader, { [room]: since }) }))));
      const live = await send(w, room, "after the resumes", "c2-live");
      for (const r of resumed) {
        await waitSeq(r.c, room, live.event.seq);
        expect(seqProblems(r.c.events(room), r.since + 1, live.event.seq)).toBe("");
      }
    });

    rule("3", `CLUSTER-3 the ${bus} broker SIGKILLed and restarted mid-traffic: nothing lost, nothing twice, in order, no node restarted; a quiet room's last message sent during the outage arrives`, async () => {
      const { nodes, lb, broker } = cl;
      const [s1, s2, quiet, ...watchers] = await Promise.all(range(1, 7).map(() => register(lb.url)));
      const room = await createRoom(nodes[0].url, s1, "public", "cluster-3");
      const calm = await createRoom(nodes[0].url, quiet, "public", "cluster-3-quiet");
      await Promise.all([join(nodes[1].url, room, s2), ...watchers.map((s, i) => join(nodes[i % 3].url, room, s)), ...watchers.map((s) => join(lb.url, calm, s))]);
      const watching = await Promise.all(watchers.map((s, i) => connect(i < 3 ? nodes[i] : lb, s, { [room]: 0, [calm]: 0 })));
      const c1 = await connect(nodes[0], s1, { [room]: 0 });
      const c2 = await connect(nodes[1], s2, { [room]: 0 });
      const q = await connect(nodes[0], quiet);
      // Every node watches the quiet room before the outage.
      const hello = await send(q, calm, "before the outage");
      await Promise.all(watching.map((c) => waitSeq(c, calm, hello.event.seq)));
      const pids = nodes.map((n) => n.pid());

      const traffic = [new Traffic(c1, room, "c3-node1"), new Traffic(c2, room, "c3-node2")];
      try {
        await Promise.all(traffic.map((t) => t.more(10)));
        await broker.kill();
        // Sends are stored and acked while the bus is down.
        await Promise.all(traffic.map((t) => t.more(10)));
        const lastQuiet = await send(q, calm, "the last word, sent while the bus was down");
        expect(lastQuiet.type).toBe("ok");
        await broker.restart();
        // Live delivery is back once an ephemeral signal, which no store check repairs, crosses the
        // bus again: read receipts from the second node reach the watchers on every node. Then more traffic.
        const mark = watching.map((w) => w.frames.length);
        await until("read receipts across the bus after the restart", () => {
          c2.send({ type: "read", room, seq: 1 });
          return watching.every((w, i) => w.frames.slice(mark[i]).some((f) => f.type === "receipt" && f.userId === s2.user.id));
        }, WAIT_MS);
        await Promise.all(traffic.map((t) => t.more(10)));
        await Promise.all(traffic.map((t) => t.stop()));
        expect(traffic.flatMap((t) => t.failures)).toEqual([]);

        const acked = traffic.flatMap((t) => t.acked);
        const last = Math.max(...acked.map((a) => a.seq));
        for (const c of [...watching, c1, c2]) {
          await waitSeq(c, room, last, REPAIR_WAIT_MS);
          expect(seqProblems(c.events(room), 1, last)).toBe("");
          const got = new Map(c.events(room).map((e) => [e.seq, (e as { clientMsgId?: string }).clientMsgId]));
          for (const a of acked) expect(got.get(a.seq)).toBe(a.clientMsgId);
        }
        // No later message in that room will reveal the hole: the hub's own check must find it.
        for (const c of watching) {
          await waitSeq(c, calm, lastQuiet.event.seq, REPAIR_WAIT_MS);
          expect(seqProblems(c.events(calm), 1, lastQuiet.event.seq)).toBe("");
        }
        expect(nodes.map((n) => n.alive())).toEqual([true, true, true]);
        expect(nodes.map((n) => n.pid())).toEqual(pids);
      } finally {
        await Promise.all(traffic.map((t) => t.stop()));
      }
    }, 120_000);

    rule("5", "CLUSTER-5 moderation across nodes: a mute set on node A holds on node B at once; a kick on A removes the member on B; a deactivation on A closes the socket on B with 4003", async () => {
      const { nodes, lb } = cl;
      const owner = await register(lb.url);
      const [muted, kicked, deactivated, other] = await Promise.all(range(1, 4).map(() => register(lb.url)));
      const room = await createRoom(nodes[0].url, owner, "public", "cluster-5");
      await Promise.all([muted, kicked, deactivated, other].map((s) => join(lb.url, room, s)));
      const [m, k, d] = await Promise.all([muted, kicked, deactivated].map((s) => connect(nodes[1], s)));
      const o = await connect(nodes[2], other);
      // The room's send policy is cached on node B by a first send.
      for (const c of [m, k]) expect((await send(c, room, "before")).type).toBe("ok");

      expect((await api(nodes[0].url, "POST", `/api/rooms/${room}/members/${muted.user.id}/mute`, { seconds: 600 }, owner.accessToken)).status).toBe(200);
      const refused = await send(m, room, "muted already?");
      expect(refused.type).toBe("error");
      expect(refused.code).toBe("forbidden");
      await m.next((f) => f.type === "event" && f.event.kind === "member" && f.event.change === "mute" && f.event.userId === muted.user.id, { timeoutMs: WAIT_MS });

      expect((await api(nodes[0].url, "DELETE", `/api/rooms/${room}/members/${kicked.user.id}`, undefined, owner.accessToken)).status).toBe(204);
      await k.next((f) => f.type === "event" && f.event.kind === "member" && f.event.change === "kick" && f.event.userId === kicked.user.id, { timeoutMs: WAIT_MS });
      await o.next((f) => f.type === "event" && f.event.kind === "member" && f.event.change === "kick" && f.event.userId === kicked.user.id, { timeoutMs: WAIT_MS });
      const afterKick = await send(k, room, "still here?");
      expect(afterKick.type).toBe("error");
      expect(afterKick.code).toBe("forbidden");
      expect((await api(nodes[1].url, "GET", `/api/rooms/${room}/messages`, undefined, kicked.accessToken)).status).toBe(403);

      expect((await api(nodes[0].url, "POST", `/api/admin/users/${deactivated.user.id}/deactivate`, undefined, admin.accessToken)).status).toBe(204);
      const closed = await Promise.race([d.closed, Bun.sleep(WAIT_MS).then(() => ({ code: -1, reason: "still open" }))]);
      expect(closed.code).toBe(4003);
      // And no node lets the account back in.
      const again = new Client(nodes[2].wsUrl);
      open.push(again);
      await again.opened;
      again.send({ type: "hello", token: deactivated.accessToken });
      expect([4001, 4003]).toContain((await again.closed).code);
    });

    rule("12", "CLUSTER-12 a password change through node A ends the user's other session everywhere: its socket on node B closes with 4001, its access token is refused on node C; the changing session keeps working on C", async () => {
      const { nodes } = cl;
      const user = await register(nodes[0].url);
      const login = await api(nodes[0].url, "POST", "/api/auth/login", { username: user.user.username, password: "correct horse battery" });
      expect(login.status).toBe(200);
      const other: Session = login.body;
      const onB = await connect(nodes[1], other);
      const mineOnC = await connect(nodes[2], user);
      expect((await api(nodes[2].url, "GET", "/api/me", undefined, other.accessToken)).status).toBe(200);
      const r = await api(nodes[0].url, "POST", "/api/me/password", { currentPassword: "correct horse battery", newPassword: "changed on node A" }, user.accessToken);
      expect(r.status).toBe(204);
      const closed = await Promise.race([onB.closed, Bun.sleep(WAIT_MS).then(() => ({ code: -1, reason: "still open" }))]);
      expect(closed.code).toBe(4001);
      // Node C learns of it from the bus (milliseconds after node A answered).
      await until("node C refuses the ended session's access token", async () => (await api(nodes[2].url, "GET", "/api/me", undefined, other.accessToken)).status === 401, WAIT_MS);
      expect((await api(nodes[2].url, "POST", "/api/auth/refresh", { refreshToken: other.refreshToken })).status).toBe(401);
      const hello = new Client(nodes[1].wsUrl);
      open.push(hello);
      await hello.opened;
      hello.send({ type: "hello", token: other.accessToken });
      expect((await hello.closed).code).toBe(4001);
      expect((await api(nodes[2].url, "GET", "/api/me", undefined, user.accessToken)).status).toBe(200);
      expect((await mineOnC.request({ type: "ping" })).type).toBe("pong");
    });

    rule("7", "CLUSTER-7 typing, read receipts and delivered receipts (DEPTH) reach members on the other nodes", async () => {
      const { nodes, lb } = cl;
      const [typist, reader, third] = await Promise.all(range(1, 3).map(() => register(lb.url)));
      const room = await createRoom(nodes[0].url, typist, "public", "cluster-7");
      await Promise.all([join(nodes[1].url, room, reader), join(nodes[2].url, room, third)]);
      const t = await connect(nodes[0], typist);
      const r = await connect(nodes[1], reader);
      const x = await connect(lb, third);
      // Ephemeral frames reach only sockets already subscribed: each one's own message proves it is.
      for (const c of [t, r, x]) await ready(c, room);

      expect((await t.request({ type: "typing", room })).type).toBe("ok");
      for (const c of [r, x]) {
        const f = await c.next((f) => f.type === "typing" && f.room === room && f.userId === typist.user.id, { timeoutMs: WAIT_MS });
        expect(f.expiresAt).toBeGreaterThan(0);
      }

      const msg = await send(t, room, "read me");
      await waitSeq(r, room, msg.event.seq);
      const ok = await r.request({ type: "read", room, seq: msg.event.seq });
      expect(ok.type).toBe("ok");
      for (const c of [t, x]) {
        const f = await c.next((f) => f.type === "receipt" && f.room === room && f.userId === reader.user.id && f.seq === msg.event.seq, { timeoutMs: WAIT_MS });
        expect(f.seq).toBe(msg.event.seq);
      }

      // Delivered marks (protocol 1.2) travel the same way; the reporting node writes them in its next batch.
      const next = await send(t, room, "delivered?");
      await waitSeq(r, room, next.event.seq);
      expect((await r.request({ type: "delivered", room, seq: next.event.seq })).seq).toBe(next.event.seq);
      for (const c of [t, x]) await c.next((f) => f.type === "receipt" && f.room === room && f.userId === reader.user.id && f.delivered === next.event.seq, { timeoutMs: WAIT_MS });
      await until("the delivered mark is stored", async () =>
        (await api(nodes[2].url, "GET", `/api/rooms/${room}/members`, undefined, third.accessToken)).body.members.find((m: any) => m.user.id === reader.user.id)?.deliveredSeq === next.event.seq);
    });

    // ---- presence (CLUSTER-8): a user's status is the union of their sockets on every node

    const presenceOf = (c: Client, userId: string) => c.frames.filter((f) => f.type === "presence" && f.userId === userId);
    const nextPresence = (c: Client, userId: string, status: string, timeoutMs = WAIT_MS) =>
      c.next((f) => f.type === "presence" && f.userId === userId && f.status === status, { timeoutMs }).catch((e) => {
        throw new Error(`waiting for ${userId} ${status}: presence frames ${JSON.stringify(presenceOf(c, userId))}; ${(e as Error).message}`);
      });
    /** Users in one room, each joined; the member's socket is subscribed to it. */
    const presenceRoom = async (n: number, name: string) => {
      const users = await Promise.all(range(1, n).map(() => register(cl.lb.url)));
      const room = await createRoom(cl.nodes[0].url, users[0], "public", name);
      await Promise.all(users.slice(1).map((s) => join(cl.lb.url, room, s)));
      return { room, users };
    };
    /**
     * How long a crashed node's users may stay online: the others forget a silent node's reports after
     * a TTL (realtime/presence.ts: 15 s, reports every 5 s, so about 15-20 s after the crash); generous.
     */
    const NODE_DEATH_WAIT_MS = 60_000;

    rule("8", "CLUSTER-8 a user online on node A is shown online to a member on node B, live and in the welcome of a member who connects later on node C", async () => {
      const { nodes } = cl;
      const { room, users: [member, user, later] } = await presenceRoom(3, "cluster-8a");
      const m = await connect(nodes[1], member);
      await ready(m, room);
      await connect(nodes[0], user);
      await nextPresence(m, user.user.id, "online");
      const l = await connect(nodes[2], later);
      const welcome = l.frames.find((f) => f.type === "welcome");
      expect(welcome.presence.find((p: { userId: string }) => p.userId === user.user.id)?.status).toBe("online");
    });

    rule("8", "CLUSTER-8 a user with sockets on two nodes who closes one of them stays online", async () => {
      const { nodes } = cl;
      const { room, users: [member, user, canary] } = await presenceRoom(3, "cluster-8b");
      const m = await connect(nodes[2], member);
      await ready(m, room);
      const onA = await connect(nodes[0], user);
      await connect(nodes[1], user);
      const k = await connect(nodes[0], canary);
      await Promise.all([nextPresence(m, user.user.id, "online"), nextPresence(m, canary.user.id, "online")]);
      onA.close();
      k.close();
      // The canary closed at the same moment on the same node: once its offline is out, the user's would be too.
      await nextPresence(m, canary.user.id, "offline");
      expect(presenceOf(m, user.user.id).map((f) => f.status)).not.toContain("offline");
    });

    rule("8", "CLUSTER-8 a user's node is SIGKILLed and the user reconnects to another node within the grace: never shown offline; the dead node's other users do go offline", async () => {
      const { nodes } = cl;
      const { room, users: [member, user, canary] } = await presenceRoom(3, "cluster-8c");
      const victim = nodes[2];
      const m = await connect(nodes[1], member);
      await ready(m, room);
      await connect(victim, user);
      await connect(victim, canary);
      await Promise.all([nextPresence(m, user.user.id, "online"), nextPresence(m, canary.user.id, "online")]);
      await victim.kill();
      await connect(nodes[0], user);
      // The canary does not come back: its offline marks the moment the dead node's sockets were written off.
      await nextPresence(m, canary.user.id, "offline", NODE_DEATH_WAIT_MS);
      expect(presenceOf(m, user.user.id).map((f) => f.status)).not.toContain("offline");
    }, 120_000);

    rule("8", "CLUSTER-8 a user who closes their only socket is shown offline to members on other nodes after the grace", async () => {
      const { nodes } = cl;
      const { room, users: [member, user] } = await presenceRoom(2, "cluster-8d");
      const m = await connect(nodes[1], member);
      await ready(m, room);
      const u = await connect(nodes[0], user);
      await nextPresence(m, user.user.id, "online");
      u.close();
      const off = await nextPresence(m, user.user.id, "offline", PRESENCE_GRACE_MS + WAIT_MS);
      expect(off.lastSeen).toBeGreaterThan(0);
    });

    rule("4", "CLUSTER-4 a node SIGKILLed mid-traffic: HAProxy routes around it, its clients reconnect through HAProxy and resume with nothing lost", async () => {
      const { nodes, lb } = cl;
      const [writer, ...readers] = await Promise.all(range(1, 8).map(() => register(lb.url)));
      const room = await createRoom(nodes[0].url, writer, "public", "cluster-4");
      await Promise.all(readers.map((s) => join(lb.url, room, s)));
      const w = await connect(nodes[0], writer, { [room]: 0 });
      const viaLb = await Promise.all(readers.slice(0, 6).map((s) => connect(lb, s, { [room]: 0 })));
      // leastconn spreads the six: the victim is whichever other node holds the most of them.
      const counts = await Promise.all(nodes.map((n) => socketsOn(n.url)));
      const victimIndex = counts[1] >= counts[2] ? 1 : 2;
      const victim = nodes[victimIndex];
      expect(counts[victimIndex]).toBeGreaterThan(0);
      // A writer on the victim too: what it had acked before the crash must reach everyone.
      await join(victim.url, room, readers[6]);
      const doomed = await connect(victim, readers[6], { [room]: 0 });

      const traffic = [new Traffic(w, room, "c4-survivor"), new Traffic(doomed, room, "c4-doomed")];
      const gone = new Set<Client>();
      for (const c of viaLb) void c.closed.then(() => gone.add(c));
      try {
        await Promise.all(traffic.map((t) => t.more(10)));
        await victim.kill();
        await lb.waitUp(2);
        expect(gone.size).toBeGreaterThan(0);
        // Each dropped client comes back through HAProxy with the last seq it saw, while the writer goes on.
        const back = new Map<Client, Client>();
        for (const c of gone) back.set(c, await connect(lb, readers[viaLb.indexOf(c)], { [room]: c.events(room).at(-1)?.seq ?? 0 }));
        await traffic[0].more(10);
        await Promise.all(traffic.map((t) => t.stop()));
        expect(traffic[0].failures).toEqual([]);

        const acked = traffic.flatMap((t) => t.acked);
        const last = Math.max(...acked.map((a) => a.seq));
        for (const c of viaLb) {
          const now = back.get(c) ?? c;
          await waitSeq(now, room, last);
          // The writer goes on while HAProxy notices the crash: more than --replay-limit missed events
          // start with a gap frame, which a client fills from history, as the contract says.
          const filled = now === c ? [] : await fillGaps(lb.url, now, room, readers[viaLb.indexOf(c)].accessToken);
          const events = now === c ? c.events(room) : [...c.events(room), ...filled, ...now.events(room)];
          expect(seqProblems(events, 1, last)).toBe("");
          const got = new Map(events.map((e) => [e.seq, (e as { clientMsgId?: string }).clientMsgId]));
          for (const a of acked) expect(got.get(a.seq)).toBe(a.clientMsgId);
        }
      } finally {
        await Promise.all(traffic.map((t) => t.stop()));
      }
    }, 90_000);

    rule("10", "CLUSTER-10 slow mode holds across nodes: a member who sent through node A is rate_limited on node B, and on A again; room admins stay exempt on both", async () => {
      const { nodes, lb } = cl;
      const [owner, member] = await Promise.all(range(1, 2).map(() => register(lb.url)));
      const room = await createRoom(nodes[0].url, owner, "public", "cluster-10");
      await join(lb.url, room, member);
      expect((await api(nodes[2].url, "PATCH", `/api/rooms/${room}`, { slowModeSec: 60 }, owner.accessToken)).status).toBe(200);
      const a = await connect(nodes[0], member);
      const b = await connect(nodes[1], member);
      expect((await send(a, room, "through A")).type).toBe("ok");
      const limited = await send(b, room, "through B, at once");
      expect({ type: limited.type, code: limited.code }).toEqual({ type: "error", code: "rate_limited" });
      // The one budget's wait: most of the 60 s are left.
      expect(limited.retryAfterMs).toBeGreaterThan(50_000);
      expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
      expect((await send(a, room, "A again")).code).toBe("rate_limited");
      const [oa, ob] = await Promise.all([connect(nodes[0], owner), connect(nodes[1], owner)]);
      for (const c of [oa, ob, oa, ob]) expect((await send(c, room, "the owner, exempt")).type).toBe("ok");
    });

    rule("11", "CLUSTER-11 a mention sent through node A: no Web Push while the user is online on node B only; a push once presence shows them offline", async () => {
      const { nodes, lb } = cl;
      const svc = startPushService();
      try {
        const [sender, target] = await Promise.all(range(1, 2).map(() => register(lb.url)));
        const room = await createRoom(nodes[0].url, sender, "public", "cluster-11");
        await join(lb.url, room, target);
        const sub = await svc.subscriber();
        expect((await api(lb.url, "POST", "/api/push/subscriptions", sub.subscription, target.accessToken)).status).toBe(201);
        const s = await connect(nodes[0], sender);
        await ready(s, room);
        const t = await connect(nodes[1], target);
        // Node A knows the target is online: the target's presence reaches the sender's socket there.
        await nextPresence(s, target.user.id, "online");

        const online = await send(s, room, `@${target.user.username} are you there?`);
        expect(online.type).toBe("ok");
        // Node A decides on the push as it publishes the notification, so by the time node B delivers
        // it the decision is made; a wrong push would reach the service long before the one below.
        const note = await t.next((f) => f.type === "notification" && f.seq === online.event.seq, { timeoutMs: WAIT_MS });
        expect(note.kind).toBe("mention");

        t.close();
        await nextPresence(s, target.user.id, "offline", PRESENCE_GRACE_MS + WAIT_MS);
        const offline = await send(s, room, `@${target.user.username} later, then`);
        expect(offline.type).toBe("ok");
        await until("the offline mention's push", () => sub.received.length > 0, WAIT_MS);
        expect(svc.errors).toEqual([]);
        expect(sub.received.map((r) => JSON.parse(r.plaintext).seq)).toEqual([offline.event.seq]);
      } finally {
        svc.stop();
      }
    });
  });
}
