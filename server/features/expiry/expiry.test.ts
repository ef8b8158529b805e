// Expiring messages (protocol 1.2): the room setting, the job's deletions (tombstone, attachments
// gone, `expired: true`), and one node of a cluster per pass.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { pgDatabase, until } from "../../test/cluster";
import { createUploads } from "../uploads/service";
import { createExpiry } from "./expiry";
import { createExpiryScan, expiryCutoff } from "./scan";
import type { RoomRow } from "../../ports/store";

const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));

let now = Date.UTC(2026, 5, 1);
let s: TestServer;
let alice: Session;
let bob: Session;
let room: string;
let a: Client;
let b: Client;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 }, clock: { now: () => now } });
  [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
  room = await createRoom(s.url, alice);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  [a, b] = await Promise.all([Client.connect(s, alice), Client.connect(s, bob)]);
});
afterAll(async () => {
  a.close();
  b.close();
  await s.stop();
});

const patch = (body: unknown, who = alice, id = room) => api(s.url, "PATCH", `/api/rooms/${id}`, body, who.accessToken);
const say = async (body: string, attachments?: string[]) => {
  const r = await a.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...(attachments ? { attachments } : {}) });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};

describe("expiring messages", () => {
  test("DEPTH-61 PATCH messageTtlSec: room admins only; 0 or 60 s – 365 days; the settings event and the room show it", async () => {
    expect((await patch({ messageTtlSec: 86_400 }, bob)).status).toBe(403);
    for (const bad of [-1, 1, 59, 365 * 86_400 + 1, 1.5, "soon", null, {}]) expect((await patch({ messageTtlSec: bad })).status).toBe(400);
    expect((await api(s.url, "PATCH", `/api/rooms/${room}`, { messageTtlSec: 60 })).status).toBe(401);
    expect((await patch({ messageTtlSec: 60 }, alice, "nosuchroom00000")).status).toBe(404);
    const r = await patch({ messageTtlSec: 86_400 });
    expect(r.status).toBe(200);
    expect(r.body.room.messageTtlSec).toBe(86_400);
    const ev = await b.next((f) => f.type === "event" && f.event.room === room && f.event.kind === "room" && f.event.messageTtlSec === 86_400);
    expect(ev.event.sender).toBe(alice.user.id);
    const mine = (await api(s.url, "GET", "/api/rooms", undefined, bob.accessToken)).body.rooms.find((x: any) => x.id === room);
    expect(mine.messageTtlSec).toBe(86_400);
    expect((await patch({ messageTtlSec: 0 })).body.room.messageTtlSec).toBe(0);
  });

  test("DEPTH-62 the job deletes messages older than the TTL like a delete: tombstone, attachments gone, `expired: true`; newer ones stay", async () => {
    const fd = new FormData();
    fd.append("file", new File([PNG], "dot.png"));
    const up = (await (await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${alice.accessToken}` } })).json()) as any;
    const old = await say("soon gone", [up.upload.id]);
    expect(existsSync(join(s.dataDir, "uploads", up.upload.id)) || readdirSync(join(s.dataDir, "uploads")).length > 0).toBe(true);
    now += 50_000;
    const young = await say("stays a while");
    await patch({ messageTtlSec: 60 });
    now += 15_000; // old is 65 s old, young 15 s
    const job = createExpiry(s.ctx, { removeUploads: (r, seq) => createUploads(s.ctx, s.ctx.store.uploads).removeForMessage(r, seq) });
    try {
      await until("the old message expired", async () => (await job.runOnce(), (await s.ctx.store.message(room, old.seq))!.deleted));
      // The scan's stored mark: past the old message, short of the young one (the next pass starts there).
      const mark = async () => (await s.ctx.store.expiryMarks([room])).get(room) ?? 0;
      expect(await mark()).toBeGreaterThanOrEqual(old.seq);
      expect(await mark()).toBeLessThan(young.seq);
      const del = await b.next((f) => f.type === "event" && f.event.kind === "delete" && f.event.msgSeq === old.seq);
      expect(del.event).toMatchObject({ room, msgSeq: old.seq, expired: true });
      const hist = (await api(s.url, "GET", `/api/rooms/${room}/messages?limit=100`, undefined, bob.accessToken)).body.events;
      const tomb = hist.find((e: any) => e.seq === old.seq);
      expect(tomb.deleted).toBe(true);
      expect(tomb.body).toBe("");
      expect(tomb.attachments ?? []).toEqual([]);
      expect(hist.find((e: any) => e.seq === young.seq).deleted).toBeFalsy();
      expect((await fetch(`${s.url}/api/uploads/${up.upload.id}`, { headers: { authorization: `Bearer ${bob.accessToken}` } })).status).toBe(404);
      expect(existsSync(join(s.dataDir, "uploads", up.upload.id))).toBe(false);
      // Replayed on resume like any event.
      const c = await Client.connect(s, bob, { [room]: old.seq });
      await c.next((f) => f.type === "event" && f.event.kind === "delete" && f.event.msgSeq === old.seq && f.event.expired === true);
      c.close();
      // A second pass finds nothing more to do; the young message expires when its time comes.
      const deletes = () => b.events(room).filter((e: any) => e.kind === "delete").length;
      const before = deletes();
      await job.runOnce();
      expect(deletes()).toBe(before);
      now += 60_000;
      await until("the young message expired", async () => (await job.runOnce(), (await s.ctx.store.message(room, young.seq))!.deleted));
      expect(await mark()).toBeGreaterThanOrEqual(young.seq);
    } finally {
      await job.stop();
      await patch({ messageTtlSec: 0 });
    }
  });
});

describe("the scan's marks", () => {
  test("DEPTH-81 a new job (a restart, another node) starts each room at its stored mark, not at its first event", async () => {
    const r = await createRoom(s.url, alice);
    const c = await Client.connect(s, alice);
    const send = async (body: string) => (await c.request({ type: "send", room: r, clientMsgId: crypto.randomUUID(), body })).event.seq as number;
    const [first, second] = [await send("one"), await send("two")];
    c.close();
    expect((await patch({ messageTtlSec: 60 }, alice, r)).status).toBe(200);
    // As if a pass had looked at everything up to `first` already.
    await s.ctx.store.setExpiryMark(r, first);
    now += 61_000;
    const job = createExpiry(s.ctx, { removeUploads: async () => {} });
    try {
      await until("the second message expired", async () => (await job.runOnce(), (await s.ctx.store.message(r, second))!.deleted));
      expect((await s.ctx.store.message(r, first))!.deleted).toBe(false);
      expect((await s.ctx.store.expiryMarks([r])).get(r)).toBeGreaterThanOrEqual(second);
    } finally {
      await job.stop();
    }
  });
});

describe("the scan's cutoff and order", () => {
  test("DEPTH-82 one cutoff per room: its TTL's, --retention-days', the later of the two when both apply, none when neither", () => {
    const at = Date.UTC(2026, 5, 1);
    const roomWith = (ttl: number) => ({ messageTtlSec: ttl }) as RoomRow;
    expect(expiryCutoff(0)(roomWith(0), at)).toBeUndefined();
    expect(expiryCutoff(0)(roomWith(60), at)).toBe(at - 60_000);
    expect(expiryCutoff(2)(roomWith(0), at)).toBe(at - 2 * 86_400_000);
    expect(expiryCutoff(2)(roomWith(60), at)).toBe(at - 60_000); // the TTL is stricter
    expect(expiryCutoff(1)(roomWith(3 * 86_400), at)).toBe(at - 86_400_000); // retention is stricter
  });

  test("DEPTH-83 a clock stepped back: a message stamped before an earlier one still expires, once the earlier one is due too; nothing is skipped or deleted twice", async () => {
    const r = await createRoom(s.url, alice);
    expect((await patch({ messageTtlSec: 60 }, alice, r)).status).toBe(200);
    expect((await api(s.url, "POST", `/api/rooms/${r}/join`, undefined, bob.accessToken)).status).toBe(200);
    const send = async (c: Client, body: string) => {
      const f = await c.request({ type: "send", room: r, clientMsgId: crypto.randomUUID(), body });
      if (f.type !== "ok") throw new Error(JSON.stringify(f));
      return f.event as { seq: number; ts: number };
    };
    const later = await send(a, "stamped later");
    now -= 30_000; // the server's clock steps back (bob sends: alice's rate limit would refuse a send "before" her last one)
    const earlier = await send(b, "stamped earlier");
    expect(earlier.ts).toBeLessThan(later.ts);
    const job = createExpiry(s.ctx, { removeUploads: async () => {} });
    const deleted = async (seq: number) => (await s.ctx.store.message(r, seq))!.deleted;
    try {
      now = earlier.ts + 61_000; // `earlier` is due, `later` (30 s newer) not yet: the scan stops at `later`
      await job.runOnce();
      expect(await deleted(later.seq)).toBe(false);
      expect(await deleted(earlier.seq)).toBe(false);
      now = later.ts + 61_000;
      await until("both expired", async () => (await job.runOnce(), (await deleted(later.seq)) && (await deleted(earlier.seq))));
      await job.runOnce();
      const log = (await s.ctx.store.events(r, { after: 0, limit: 100 })).events;
      expect(log.filter((e: any) => e.kind === "delete").map((e: any) => e.msgSeq).sort()).toEqual([later.seq, earlier.seq].sort());
    } finally {
      await job.stop();
    }
  });
});

describe("the scan's turns", () => {
  test("DEPTH-86 a pass that runs out of budget in a room makes the next one start after it: the rooms after a long backlog get their turn", async () => {
    // Three rooms of this test only (no TTL, so the server's own job leaves them alone), in the store's order.
    const ids = [await createRoom(s.url, alice), await createRoom(s.url, alice), await createRoom(s.url, alice)].sort();
    const c = await Client.connect(s, alice);
    const sent = new Map<string, number[]>();
    for (const [room, n] of [[ids[0], 4], [ids[1], 1], [ids[2], 1]] as const) {
      const seqs = [];
      for (let i = 0; i < n; i++) seqs.push((await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: `m${i}` })).event.seq as number);
      sent.set(room, seqs);
    }
    c.close();
    const mine = new Set(ids);
    const scan = createExpiryScan(s.ctx, { cutoff: (r, at) => (mine.has(r.id) ? at - 60_000 : undefined), removeUploads: async () => {}, perPass: { expired: 2, read: 1_000 } });
    now += 61_000;
    const live = async (room: string) => {
      const out = [];
      for (const seq of sent.get(room)!) if (!(await s.ctx.store.message(room, seq))!.deleted) out.push(seq);
      return out;
    };
    expect(await scan.pass(now)).toBe(2); // the first room's backlog uses the budget up
    expect(await live(ids[0])).toHaveLength(2);
    expect(await scan.pass(now)).toBe(2); // the next pass starts after it: the other two
    expect(await live(ids[1])).toEqual([]);
    expect(await live(ids[2])).toEqual([]);
    expect(await live(ids[0])).toHaveLength(2);
    expect(await scan.pass(now)).toBe(2); // and comes back round to the first
    expect(await live(ids[0])).toEqual([]);
    expect(await scan.pass(now)).toBe(0);
  });
});

describe("expiry on a cluster", () => {
  test("DEPTH-63 two nodes on one PostgreSQL database: each pass runs on one node, each message is deleted exactly once", async () => {
    const db = await pgDatabase("parley_exp_");
    let t = Date.UTC(2026, 5, 1);
    const clock = { now: () => t };
    const nodes = [
      await startServer({ config: { databaseUrl: db.url + "?max=4", writeBurst: 10_000, writeRatePerSec: 10_000 }, clock }),
      await startServer({ config: { databaseUrl: db.url + "?max=4", writeBurst: 10_000, writeRatePerSec: 10_000 }, clock }),
    ];
    try {
      const owner = await register(nodes[0].url);
      const r = await createRoom(nodes[0].url, owner);
      const c = await Client.connect(nodes[0], owner);
      const sent = [];
      for (let i = 0; i < 30; i++) sent.push((await c.request({ type: "send", room: r, clientMsgId: crypto.randomUUID(), body: `m${i}` })).event.seq);
      c.close();
      expect((await api(nodes[0].url, "PATCH", `/api/rooms/${r}`, { messageTtlSec: 60 }, owner.accessToken)).status).toBe(200);
      t += 61_000;
      const jobs = nodes.flatMap((n) => [0, 1].map(() => createExpiry(n.ctx, { removeUploads: (room, seq) => createUploads(n.ctx, n.ctx.store.uploads).removeForMessage(room, seq) })));
      try {
        const ran = await Promise.all(jobs.map((j) => j.runOnce()));
        expect(ran.filter(Boolean).length).toBeLessThanOrEqual(1);
        await until("every message expired", async () => {
          await Promise.all(jobs.map((j) => j.runOnce()));
          return (await nodes[1].ctx.store.events(r, { after: 0, limit: 1000 })).events.every((e: any) => e.kind !== "message" || e.deleted);
        });
      } finally {
        await Promise.all(jobs.map((j) => j.stop()));
      }
      const log = (await nodes[1].ctx.store.events(r, { after: 0, limit: 1000 })).events;
      const deletes = log.filter((e) => e.kind === "delete");
      expect(deletes.map((e: any) => e.msgSeq).sort((x: number, y: number) => x - y)).toEqual(sent);
      expect(deletes.every((e: any) => e.expired === true)).toBe(true);
    } finally {
      for (const n of nodes) await n.stop();
      await db.drop();
    }
  });

  test("DEPTH-78 retention and a room's TTL are one job under one lease: on two nodes, a message due under both rules gets exactly one delete event", async () => {
    const db = await pgDatabase("parley_exp2_");
    let t = Date.UTC(2026, 5, 1);
    const clock = { now: () => t };
    const config = { databaseUrl: db.url + "?max=4", writeBurst: 10_000, writeRatePerSec: 10_000, retentionDays: 1 };
    const nodes = [await startServer({ config, clock }), await startServer({ config, clock })];
    try {
      const owner = await register(nodes[0].url);
      const ttlRoom = await createRoom(nodes[0].url, owner);
      const plainRoom = await createRoom(nodes[0].url, owner); // due under retention only
      expect((await api(nodes[0].url, "PATCH", `/api/rooms/${ttlRoom}`, { messageTtlSec: 60 }, owner.accessToken)).status).toBe(200);
      const c = await Client.connect(nodes[0], owner);
      const sent = new Map<string, number[]>([[ttlRoom, []], [plainRoom, []]]);
      for (let i = 0; i < 40; i++) {
        const room = i % 4 === 0 ? plainRoom : ttlRoom;
        sent.get(room)!.push((await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: `m${i}` })).event.seq);
      }
      c.close();
      t += 2 * 86_400_000; // past the room's 60 s and the server's one day: every message is due under retention, the TTL room's under both
      // Besides each server's own job (which has retention too), two more per node, all trying at once.
      const jobs = nodes.flatMap((n) => [0, 1].map(() => createExpiry(n.ctx, { retentionDays: 1, removeUploads: (room, seq) => createUploads(n.ctx, n.ctx.store.uploads).removeForMessage(room, seq) })));
      const live = async () => {
        let n = 0;
        for (const [room, seqs] of sent) for (const seq of seqs) if (!(await nodes[1].ctx.store.message(room, seq))!.deleted) n++;
        return n;
      };
      try {
        await until("every message expired", async () => (await Promise.all(jobs.map((j) => j.runOnce())), (await live()) === 0));
        await Promise.all(jobs.map((j) => j.runOnce())); // and more passes find nothing to do twice
      } finally {
        await Promise.all(jobs.map((j) => j.stop()));
      }
      for (const [room, seqs] of sent) {
        const log = (await nodes[0].ctx.store.events(room, { after: 0, limit: 1000 })).events;
        const deletes = log.filter((e) => e.kind === "delete");
        expect(deletes.map((e: any) => e.msgSeq).sort((x: number, y: number) => x - y)).toEqual(seqs);
        expect(deletes.every((e: any) => e.expired === true)).toBe(true);
      }
    } finally {
      for (const n of nodes) await n.stop();
      await db.drop();
    }
  });
});
