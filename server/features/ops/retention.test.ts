// Retention (--retention-days): old messages expire like a delete with `expired: true`, newer ones stay, the events replay on resume, and one node of a cluster runs it (RET-n).

import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { pgDatabase, until } from "../../test/cluster";
import { helpText, defaultConfig } from "../../config";
import { createUploads } from "../uploads/service";
import type { Context } from "../../context";
import { createExpiry, type Expiry } from "../expiry/expiry";

const DAY = 86_400_000;
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
});

/** A clock the test moves; starts at the real time. */
const movable = () => {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
};
const say = async (c: Client, room: string, body: string, extra: object = {}) => {
  const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
/** Retention runs in the expiry job; the test's own runs under a lease of its own, beside the server's job (which has no retention). */
const retentionOf = (ctx: Context, days: number, extra: { intervalMs?: number } = {}) => {
  const uploads = createUploads(ctx, ctx.store.uploads);
  return createExpiry(ctx, { retentionDays: days, removeUploads: (room, seq) => uploads.removeForMessage(room, seq), lease: "retention-test", ...extra });
};
/** A new login: moving the clock by days expires the access tokens. */
async function login(base: string, who: Session): Promise<Session> {
  const r = await api<Session>(base, "POST", "/api/auth/login", { username: who.user.username, password: "correct horse battery" });
  expect(r.status).toBe(200);
  return r.body;
}
async function upload(s: TestServer, who: Session, room: string, text: string): Promise<string> {
  const fd = new FormData();
  fd.append("file", new Blob([text], { type: "text/plain" }), "note.txt");
  const res = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${who.accessToken}` } });
  expect(res.status).toBe(201);
  return ((await res.json()) as any).upload.id;
}

describe("retention", () => {
  test("RET-1 a pass expires the messages older than the cutoff (tombstone, body, reactions, attachment bytes gone; a delete event with expired: true) and keeps newer ones; live clients get the events and a resume replays them", async () => {
    const clock = movable();
    const s = await startServer({ clock });
    cleanup.push(() => s.stop(), () => rmSync(s.dataDir, { recursive: true, force: true }));
    let alice = await register(s.url);
    let bob = await register(s.url);
    const room = await createRoom(s.url, alice, "public", "old-and-new");
    expect((await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
    const a = await Client.connect(s, alice);
    const file = await upload(s, alice, room, "an old attachment");
    const old1 = await say(a, room, "old message with a file", { attachments: [file] });
    const old2 = await say(a, room, `old message for @${bob.user.username}`);
    expect((await a.request({ type: "react", room, msgSeq: old2.seq, emoji: "👍", on: true })).type).toBe("ok");
    const edited = await say(a, room, "old message, edited");
    expect((await a.request({ type: "edit", room, msgSeq: edited.seq, body: "old message, edited once" })).type).toBe("ok");
    const lastOld = (await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, alice.accessToken)).body.events.at(-1).seq;
    const resumer = await Client.connect(s, bob); // sees everything so far, then goes away
    resumer.close();

    clock.advance(2 * DAY);
    const fresh = await say(a, room, "a message from today");
    [alice, bob] = [await login(s.url, alice), await login(s.url, bob)];
    const b = await Client.connect(s, bob);
    const r = retentionOf(s.ctx, 1);
    cleanup.push(() => r.stop());
    expect(await r.runOnce()).toBe(true);
    expect(r.stats.expired).toBe(3);

    const deletes = await b.waitEvents(room, 3, "delete");
    expect(deletes.map((e: any) => [e.msgSeq, e.expired, e.sender])).toEqual([old1, old2, edited].map((m) => [m.seq, true, alice.user.id]));
    const page = (await api(s.url, "GET", `/api/rooms/${room}/messages?limit=100`, undefined, bob.accessToken)).body;
    const bySeq = new Map(page.events.map((e: any) => [e.seq, e]));
    for (const m of [old1, old2, edited]) {
      const e: any = bySeq.get(m.seq);
      expect(e).toMatchObject({ kind: "message", deleted: true });
      expect(e.body ?? "").toBe("");
      expect(e.reactions).toBeUndefined();
      expect(e.attachments ?? []).toEqual([]);
    }
    expect(page.events.filter((e: any) => e.kind === "edit").every((e: any) => !e.body)).toBe(true); // the edit's text went too
    expect(bySeq.get(fresh.seq)).toMatchObject({ body: "a message from today" });
    expect((await fetch(`${s.url}/api/uploads/${file}`, { headers: { authorization: `Bearer ${alice.accessToken}` } })).status).toBe(404);
    expect((await api(s.url, "GET", `/api/search?q=${encodeURIComponent("old message")}`, undefined, alice.accessToken)).body.results).toEqual([]);
    const rooms = (await api(s.url, "GET", "/api/rooms", undefined, bob.accessToken)).body.rooms;
    expect(rooms.find((x: any) => x.id === room).mentions).toBe(0);

    // A client that left before the pass resumes: the delete events come in the replay, in seq order.
    const back = await Client.connect(s, bob, { [room]: lastOld });
    const replayed = await back.waitEvents(room, 3, "delete");
    expect(replayed.map((e: any) => [e.msgSeq, e.expired])).toEqual([old1, old2, edited].map((m) => [m.seq, true]));

    // Nothing more is due: a second pass expires nothing; a day later the fresh message goes too.
    expect(await r.runOnce()).toBe(true);
    expect(r.stats.expired).toBe(3);
    clock.advance(DAY + 1);
    expect(await r.runOnce()).toBe(true);
    expect(r.stats.expired).toBe(4);
    for (const c of [a, b, back]) c.close();
  }, 60_000);

  test("RET-2 --retention-days turns the job on at start-up (off by default); its first pass runs at start", async () => {
    expect(defaultConfig().retentionDays).toBe(0);
    expect(helpText()).toContain("--retention-days");
    const clock = movable();
    const first = await startServer({ clock });
    const alice = await register(first.url);
    const room = await createRoom(first.url, alice, "private", "kept-for-a-day");
    const a = await Client.connect(first, alice);
    const old = await say(a, room, "from long ago");
    a.close();
    await first.stop();
    cleanup.push(() => rmSync(first.dataDir, { recursive: true, force: true }));

    clock.advance(3 * DAY);
    const second = await startServer({ dataDir: first.dataDir, clock, config: { retentionDays: 2 } });
    cleanup.push(() => second.stop());
    const again = await login(second.url, alice);
    await until("the message expired", async () => {
      const page = (await api(second.url, "GET", `/api/rooms/${room}/messages`, undefined, again.accessToken)).body;
      return page.events.some((e: any) => e.kind === "delete" && e.msgSeq === old.seq && e.expired === true);
    });
  }, 60_000);

  test("RET-3 two nodes on one PostgreSQL database: only the lease holder ever runs a pass; when it stops, the other takes over; each message expires once", async () => {
    const pg = await pgDatabase("parley_retention_");
    cleanup.push(() => pg.drop());
    const clock = movable();
    const n1 = await startServer({ clock, config: { databaseUrl: pg.url + "?max=4" } });
    const n2 = await startServer({ clock, config: { databaseUrl: pg.url + "?max=4" } });
    cleanup.push(() => n1.stop(), () => n2.stop(), () => rmSync(n1.dataDir, { recursive: true, force: true }), () => rmSync(n2.dataDir, { recursive: true, force: true }));
    const alice = await register(n1.url);
    const room = await createRoom(n1.url, alice, "public", "shared");
    const a = await Client.connect(n1, alice);
    const sent = [];
    for (let i = 0; i < 20; i++) sent.push(await say(a, room, `message ${i}`));
    a.close();

    clock.advance(2 * DAY); // the messages are due (moved before the jobs start: a jump in time also expires a lease)
    const nodes: Expiry[] = [retentionOf(n1.ctx, 1, { intervalMs: 20 }), retentionOf(n2.ctx, 1, { intervalMs: 20 })];
    cleanup.push(...nodes.map((r) => () => r.stop()));
    await until("every message expired", () => nodes[0].stats.expired + nodes[1].stats.expired === sent.length);
    await until("60 passes, both nodes trying every 20 ms", () => nodes[0].stats.passes + nodes[1].stats.passes >= 60);
    const holder = nodes[0].stats.passes > 0 ? 0 : 1;
    expect(nodes[1 - holder].stats).toEqual({ passes: 0, expired: 0 });

    const before = nodes[1 - holder].stats.passes;
    await nodes[holder].stop(); // lets the lease go
    await until("the other node took over", () => nodes[1 - holder].stats.passes > before + 3);

    const page = (await api(n2.url, "GET", `/api/rooms/${room}/messages?limit=100`, undefined, (await login(n2.url, alice)).accessToken)).body;
    const deletes = page.events.filter((e: any) => e.kind === "delete");
    expect(deletes.map((e: any) => e.msgSeq).sort((x: number, y: number) => x - y)).toEqual(sent.map((m) => m.seq));
  }, 60_000);
});
