// Search over real HTTP: partial words, CJK, only my rooms, newest first, pagination, edits and deletes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Database from "libsql";
import { join } from "node:path";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let alice: Session;
let bob: Session;
let shared: string;
let alicesOwn: string;
let a: Client;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 } });
  [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
  shared = await createRoom(s.url, alice);
  alicesOwn = await createRoom(s.url, alice, "private");
  await api(s.url, "POST", `/api/rooms/${shared}/join`, undefined, bob.accessToken);
  a = await Client.connect(s, alice);
});
afterAll(async () => {
  a.close();
  await s.stop();
});

const say = async (room: string, body: string) => (await a.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body })).event;
const search = (who: Session, q: string, extra = "") => api(s.url, "GET", `/api/search?q=${encodeURIComponent(q)}${extra}`, undefined, who.accessToken);

describe("search", () => {
  test("SEARCH-1 a partial word matches; results carry room and seq to jump to", async () => {
    const m = await say(shared, "The deployment pipeline is wonderful today");
    const r = await search(bob, "nderfu");
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ room: shared, seq: m.seq, sender: alice.user.id, body: m.body });
    expect((await search(bob, "DEPLOYMENT")).body.results.map((x: any) => x.seq)).toContain(m.seq); // case-insensitive
  });

  test("SEARCH-2 a CJK substring matches, including two-character queries", async () => {
    const m = await say(shared, "明日は東京タワーに行きます");
    expect((await search(bob, "京タワ")).body.results.map((x: any) => x.seq)).toContain(m.seq);
    expect((await search(bob, "東京")).body.results.map((x: any) => x.seq)).toContain(m.seq);
  });

  test("SEARCH-3 never returns messages from rooms the caller is not in; room filter needs membership", async () => {
    await say(alicesOwn, "classified zebra migration plans");
    expect((await search(alice, "zebra migr")).body.results).toHaveLength(1);
    expect((await search(bob, "zebra migr")).body.results).toHaveLength(0);
    expect((await search(bob, "zebra", `&room=${alicesOwn}`)).status).toBe(404);
  });

  test("SEARCH-4 forgets deleted messages and follows edits", async () => {
    const m = await say(shared, "ephemeral quokka sighting");
    expect((await search(bob, "quokka")).body.results).toHaveLength(1);
    await a.request({ type: "edit", room: shared, msgSeq: m.seq, body: "ephemeral wombat sighting" });
    expect((await search(bob, "quokka")).body.results).toHaveLength(0);
    expect((await search(bob, "wombat")).body.results[0].body).toBe("ephemeral wombat sighting");
    await a.request({ type: "delete", room: shared, msgSeq: m.seq });
    expect((await search(bob, "wombat")).body.results).toHaveLength(0);
  });

  test("SEARCH-5 newest first, paginated with nextBefore; FTS syntax in the query is just text", async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push((await say(shared, `pagination marker ${i}`)).seq);
    const p1 = await search(bob, "pagination marker", "&limit=3");
    expect(p1.body.results.map((x: any) => x.seq)).toEqual(seqs.slice(2).reverse());
    const p2 = await search(bob, "pagination marker", `&limit=3&before=${p1.body.nextBefore}`);
    expect(p2.body.results.map((x: any) => x.seq)).toEqual(seqs.slice(0, 2).reverse());
    expect(p2.body.nextBefore).toBeUndefined();
    for (const q of ['"unbalanced', "a OR b NOT", "col:val*", "100%_off"]) expect((await search(bob, q)).status).toBe(200);
  });

  test("SEARCH-7 edits and deletes right after sending (before the bulk index pass) leave a consistent index", async () => {
    const m = await say(shared, "transient narwhal report");
    const gone = await say(shared, "transient narwhal draft");
    await a.request({ type: "edit", room: shared, msgSeq: m.seq, body: "transient ocelot report" });
    await a.request({ type: "delete", room: shared, msgSeq: gone.seq });
    expect((await search(bob, "narwhal")).body.results).toHaveLength(0);
    expect((await search(bob, "ocelot")).body.results.map((x: any) => x.seq)).toEqual([m.seq]);
    await a.request({ type: "edit", room: shared, msgSeq: m.seq, body: "transient lynx report" }); // now indexed: the trigger path
    expect((await search(bob, "ocelot")).body.results).toHaveLength(0);
    expect((await search(bob, "lynx")).body.results.map((x: any) => x.seq)).toEqual([m.seq]);
    // The index's own consistency (rank 0: not compared with the events table, most of whose rows,
    // non-messages, are deliberately not indexed).
    const db = new Database(join(s.dataDir, "parley.db"));
    try {
      expect(() => db.exec("INSERT INTO events_fts(events_fts, rank) VALUES ('integrity-check', 0)")).not.toThrow();
    } finally {
      db.close();
    }
  });

  test("SEARCH-6 empty, oversized or unauthenticated queries are refused", async () => {
    expect((await search(bob, " ")).status).toBe(400);
    expect((await search(bob, "x".repeat(201))).status).toBe(400);
    expect((await api(s.url, "GET", "/api/search?q=hello")).status).toBe(401);
    expect((await api(s.url, "GET", "/api/search", undefined, bob.accessToken)).status).toBe(400);
    // The compiled binary once let these through (limit=-2 answered past the cap, 0 and -1 with 500).
    for (const bad of ["&limit=-2", "&limit=-1", "&limit=0", "&before=0"]) expect((await search(bob, "pagination", bad)).status).toBe(400);
  });
});
