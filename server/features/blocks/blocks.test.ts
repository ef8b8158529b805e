// Blocking (protocol 1.2): the list, no DM from a blocked user, no notification of their mentions or thread replies.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

let s: TestServer;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 } });
});
afterAll(() => s.stop());

const say = (c: Client, room: string, body: string, extra: object = {}) => c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
const block = (who: Session, userId: string, method = "PUT") => api(s.url, method, `/api/me/blocks/${userId}`, undefined, who.accessToken);
const roomOf = async (who: Session, room: string) => (await api(s.url, "GET", "/api/rooms", undefined, who.accessToken)).body.rooms.find((r: any) => r.id === room);

describe("blocking", () => {
  test("DEPTH-16 PUT/DELETE /api/me/blocks/:userId and GET /api/me/blocks: idempotent; self, unknown, unauthenticated and oversized refused", async () => {
    const [me, x, y] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
    expect((await api(s.url, "GET", "/api/me/blocks", undefined, me.accessToken)).body).toEqual({ blocks: [] });
    expect((await block(me, x.user.id)).status).toBe(204);
    expect((await block(me, x.user.id)).status).toBe(204);
    expect((await block(me, y.user.id)).status).toBe(204);
    const list = (await api(s.url, "GET", "/api/me/blocks", undefined, me.accessToken)).body.blocks;
    expect(list.map((b: any) => b.user.id).sort()).toEqual([x.user.id, y.user.id].sort()); // newest first: STORE-127 checks the order
    expect(list.find((b: any) => b.user.id === y.user.id).user).toEqual(y.user);
    expect(typeof list[0].createdAt).toBe("number");
    expect((await block(me, x.user.id, "DELETE")).status).toBe(204);
    expect((await block(me, x.user.id, "DELETE")).status).toBe(204);
    expect((await api(s.url, "GET", "/api/me/blocks", undefined, me.accessToken)).body.blocks.map((b: any) => b.user.id)).toEqual([y.user.id]);
    expect((await block(me, me.user.id)).status).toBe(400);
    expect((await block(me, "nosuchuser")).status).toBe(404);
    expect((await block(me, "x".repeat(65))).status).toBe(400);
    expect((await api(s.url, "PUT", `/api/me/blocks/${x.user.id}`)).status).toBe(401);
    expect((await api(s.url, "GET", "/api/me/blocks")).status).toBe(401);
    expect((await api(s.url, "DELETE", `/api/me/blocks/${x.user.id}`, undefined, "garbage")).status).toBe(401);
    // Others' lists are their own.
    expect((await api(s.url, "GET", "/api/me/blocks", undefined, x.accessToken)).body.blocks).toEqual([]);
  });

  test("DEPTH-17 a blocked user cannot open a DM with the blocker nor send into an existing one (forbidden); the blocker still can; unblocking lifts it", async () => {
    const [me, pest] = await Promise.all([register(s.url), register(s.url)]);
    const dm = (await api(s.url, "POST", "/api/dm", { username: me.user.username }, pest.accessToken)).body.room.id;
    const p = await Client.connect(s, pest);
    const m = await Client.connect(s, me);
    expect((await say(p, dm, "hi")).type).toBe("ok");
    await block(me, pest.user.id);
    const before = (await roomOf(me, dm)).lastSeq;
    const open = await api(s.url, "POST", "/api/dm", { username: me.user.username }, pest.accessToken);
    expect(open.status).toBe(403);
    expect(open.body.error.code).toBe("forbidden");
    expect((await say(p, dm, "hello?")).code).toBe("forbidden");
    expect((await say(p, dm, "", { forward: { room: dm, seq: before } })).code).toBe("forbidden");
    expect((await roomOf(me, dm)).lastSeq).toBe(before);
    // The blocker may still write and open the DM.
    expect((await api(s.url, "POST", "/api/dm", { username: pest.user.username }, me.accessToken)).body.room.id).toBe(dm);
    expect((await say(m, dm, "stop it")).type).toBe("ok");
    await block(me, pest.user.id, "DELETE");
    expect((await say(p, dm, "sorry")).type).toBe("ok");
    p.close();
    m.close();
  });

  test("DEPTH-18 a blocked user's mentions and thread replies do not notify the blocker nor count as mentions; others still hear them", async () => {
    const [me, pest, friend] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
    const room = await createRoom(s.url, me, "public");
    for (const u of [pest, friend]) await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, u.accessToken);
    await block(me, pest.user.id);
    const [m, p, f] = await Promise.all([Client.connect(s, me), Client.connect(s, pest), Client.connect(s, friend)]);
    const root = (await say(m, room, "my thread")).event;
    await say(f, room, "joining", { thread: root.seq });
    const ping = (await say(p, room, `@${me.user.username} @${friend.user.username} look`, { thread: root.seq })).event;
    expect(ping.mentions.sort()).toEqual([me.user.id, friend.user.id].sort()); // the text is what it is
    await f.next((x) => x.type === "notification" && x.seq === ping.seq);
    // A later message from a friend reaches me: had the blocked one notified, it would have come first.
    const hey = (await say(f, room, `@${me.user.username} hey`)).event;
    await m.next((x) => x.type === "notification" && x.seq === hey.seq);
    expect(m.frames.some((x) => x.type === "notification" && x.seq === ping.seq)).toBe(false);
    expect((await roomOf(me, room)).mentions).toBe(1); // the friend's, not the blocked user's
    // Unblocked: their mentions count again.
    await block(me, pest.user.id, "DELETE");
    const again = (await say(p, room, `@${me.user.username} now?`)).event;
    await m.next((x) => x.type === "notification" && x.seq === again.seq);
    for (const c of [m, p, f]) c.close();
  });

  test("DEPTH-22 the block check keeps a DM's concurrent sends in their order (seqs follow the sending order)", async () => {
    const [me, you] = await Promise.all([register(s.url), register(s.url)]);
    const dm = (await api(s.url, "POST", "/api/dm", { username: you.user.username }, me.accessToken)).body.room.id;
    const m = await Client.connect(s, me);
    const tags = Array.from({ length: 60 }, (_, i) => `dm-${i}`);
    const acks = await Promise.all(tags.map((t) => m.request({ type: "send", room: dm, clientMsgId: t, body: t })));
    expect(acks.map((a) => a.event.body)).toEqual(tags);
    const seqs = acks.map((a) => a.event.seq);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => seqs[0] + i));
    m.close();
  });
});
