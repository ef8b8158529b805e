// Forward (protocol 1.2): a copy of a live message into another room, with its origin and copies of its files.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 } });
  [alice, bob, carol] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

// A 1×1 RGBA PNG.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));

const say = async (c: Client, room: string, body: string, extra: object = {}) => {
  const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
const forward = (c: Client, room: string, from: { room: string; seq: number }, extra: object = {}) =>
  c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: "", forward: from, ...extra });
const lastSeq = async (who: Session, room: string) => (await api(s.url, "GET", "/api/rooms", undefined, who.accessToken)).body.rooms.find((r: any) => r.id === room).lastSeq;
async function upload(room: string, who: Session) {
  const fd = new FormData();
  fd.append("file", new Blob([PNG]), "dot.png");
  const res = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${who.accessToken}` } });
  return ((await res.json()) as any).upload.id as string;
}
const download = (id: string, who: Session) => fetch(`${s.url}/api/uploads/${id}`, { headers: { authorization: `Bearer ${who.accessToken}` } });

describe("forward", () => {
  test("DEPTH-13 a forward is a new event in the target room with the body and `forwarded` origin; a forward of a forward keeps the first origin; from a DM too", async () => {
    const src = await createRoom(s.url, alice, "private", "secret plans");
    const dst = await createRoom(s.url, alice, "public", "town square");
    await api(s.url, "POST", `/api/rooms/${dst}/join`, undefined, bob.accessToken);
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const orig = await say(a, src, "the **plan**");
    const f = (await forward(a, dst, { room: src, seq: orig.seq })).event;
    expect(f).toMatchObject({ room: dst, kind: "message", sender: alice.user.id, body: "the **plan**", forwarded: { room: src, roomName: "secret plans", sender: alice.user.id, ts: orig.ts } });
    expect(f.seq).toBe(await lastSeq(alice, dst));
    await b.next((x) => x.type === "event" && x.event.seq === f.seq && x.event.forwarded?.room === src);
    // History shows it the same way.
    const h = await b.request({ type: "history", room: dst, after: f.seq - 1, limit: 1 });
    expect(h.events[0].forwarded).toEqual(f.forwarded);
    // Bob forwards the forward into a DM: the origin stays the first room.
    const dm = (await api(s.url, "POST", "/api/dm", { username: carol.user.username }, bob.accessToken)).body.room.id;
    const ff = (await forward(b, dm, { room: dst, seq: f.seq })).event;
    expect(ff.forwarded).toEqual(f.forwarded);
    // From the DM onwards: the DM has no name.
    const d = await say(b, dm, "psst");
    const fd = (await forward(b, dst, { room: dm, seq: d.seq })).event;
    expect(fd.forwarded).toEqual({ room: dm, roomName: "", sender: bob.user.id, ts: d.ts });
    // A resume replays forwards like any message.
    const again = await Client.connect(s, bob, { [dst]: f.seq - 1 });
    const replayed = await again.waitEvents(dst, 2, "message");
    expect(replayed.map((e: any) => [e.seq, e.forwarded])).toEqual([[f.seq, f.forwarded], [fd.seq, fd.forwarded]]);
    again.close();
    a.close();
    b.close();
  });

  test("DEPTH-14 refused: a source room the sender is not in (404 private / 403 public), a deleted, unknown or non-message seq, a body or files of its own, malformed; nothing stored", async () => {
    const priv = await createRoom(s.url, alice, "private");
    const pub = await createRoom(s.url, alice, "public");
    const dst = await createRoom(s.url, bob, "public");
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const secret = await say(a, priv, "secret");
    const open = await say(a, pub, "open");
    const gone = await say(b, dst, "gone");
    await b.request({ type: "delete", room: dst, msgSeq: gone.seq });
    const before = await lastSeq(bob, dst);
    expect((await forward(b, dst, { room: priv, seq: secret.seq })).code).toBe("not_found");
    expect((await forward(b, dst, { room: pub, seq: open.seq })).code).toBe("forbidden");
    expect((await forward(b, dst, { room: dst, seq: gone.seq })).code).toBe("not_found");
    expect((await forward(b, dst, { room: dst, seq: 99_999 })).code).toBe("not_found");
    expect((await forward(b, dst, { room: dst, seq: 1 })).code).toBe("not_found"); // the creation's join event
    expect((await forward(b, dst, { room: "nosuchroom", seq: 1 })).code).toBe("not_found");
    const mine = await say(b, dst, "mine");
    const before2 = await lastSeq(bob, dst);
    expect(before2).toBe(before + 1);
    expect((await forward(b, dst, { room: dst, seq: mine.seq }, { body: "my comment" })).code).toBe("invalid_request");
    expect((await forward(b, dst, { room: dst, seq: mine.seq }, { attachments: ["abc"] })).code).toBe("invalid_request");
    expect((await forward(b, dst, { room: dst } as any)).code).toBe("invalid_request");
    expect((await forward(b, dst, { room: dst, seq: "2" } as any)).code).toBe("invalid_request");
    expect((await forward(b, dst, { room: "x".repeat(65), seq: 2 })).code).toBe("invalid_request");
    expect(await lastSeq(bob, dst)).toBe(before2);
    a.close();
    b.close();
  });

  test("DEPTH-15 files are copied: the forward's attachments are new uploads members of the target can open; deleting either message leaves the other's files", async () => {
    const src = await createRoom(s.url, alice, "private");
    const dst = await createRoom(s.url, alice, "public");
    await api(s.url, "POST", `/api/rooms/${dst}/join`, undefined, carol.accessToken);
    const a = await Client.connect(s, alice);
    const id = await upload(src, alice);
    expect(typeof id).toBe("string");
    const orig = await say(a, src, "", { attachments: [id] });
    const f = (await forward(a, dst, { room: src, seq: orig.seq })).event;
    expect(f.attachments).toHaveLength(1);
    const copy = f.attachments[0];
    expect(copy).toMatchObject({ filename: orig.attachments[0].filename, mime: "image/png", size: PNG.byteLength });
    expect(copy.id).not.toBe(id);
    expect((await download(copy.id, carol)).status).toBe(200); // carol is not in the source room
    expect((await download(id, carol)).status).toBe(404);
    expect(new Uint8Array(await (await download(copy.id, carol)).arrayBuffer())).toEqual(PNG);
    await a.request({ type: "delete", room: src, msgSeq: orig.seq });
    expect((await download(id, alice)).status).toBe(404);
    expect((await download(copy.id, carol)).status).toBe(200);
    // The forward cannot be forwarded from the deleted original any more; its own copy forwards fine.
    expect((await forward(a, dst, { room: src, seq: orig.seq })).code).toBe("not_found");
    const again = (await forward(a, dst, { room: dst, seq: f.seq })).event;
    await a.request({ type: "delete", room: dst, msgSeq: f.seq });
    expect((await download(copy.id, carol)).status).toBe(404);
    expect((await download(again.attachments[0].id, carol)).status).toBe(200);
    a.close();
  });
});
