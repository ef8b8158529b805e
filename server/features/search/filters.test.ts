// Search filters and phrases over real HTTP (protocol 1.2): from:, in:, has:, before:, after:,
// "quoted phrases", combined, paged, highlighted; hostile queries never 500.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { pgDatabase } from "../../test/cluster";
import { matchRanges, parseQuery } from "./query";

// A 1×1 PNG, as the uploads tests use.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));

/** The same suite on each store: libSQL's FTS5 and PostgreSQL's trigram ILIKE must answer alike. */
for (const kind of ["libsql", "postgres"] as const) describe(`search filters (${kind})`, () => {
  // The test clock only moves forward (rate limits and tokens follow it): a minute before midnight UTC.
  let now = Date.UTC(2026, 2, 9, 23, 59);
  let s: TestServer;
  let alice: Session;
  let bob: Session;
  let general: string;
  let random: string;
  let a: Client;
  let b: Client;
  let db: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    db = kind === "postgres" ? await pgDatabase("parley_search_") : undefined;
    s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000, ...(db ? { databaseUrl: db.url + "?max=4" } : {}) }, clock: { now: () => now } });
    [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
    general = await createRoom(s.url, alice, "public", "General Chat");
    random = await createRoom(s.url, alice, "public", "random");
    for (const r of [general, random]) await api(s.url, "POST", `/api/rooms/${r}/join`, undefined, bob.accessToken);
    [a, b] = await Promise.all([Client.connect(s, alice), Client.connect(s, bob)]);
  });
  afterAll(async () => {
    a.close();
    b.close();
    await s.stop();
    await db?.drop();
  });

  const say = async (c: Client, room: string, body: string, attachments?: string[]) => {
    const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...(attachments ? { attachments } : {}) });
    if (r.type !== "ok") throw new Error(JSON.stringify(r));
    return r.event;
  };
  const search = (q: string, extra = "", who = alice) => api(s.url, "GET", `/api/search?q=${encodeURIComponent(q)}${extra}`, undefined, who.accessToken);
  const bodies = async (q: string, extra = "") => {
    const r = await search(q, extra);
    expect(r.status).toBe(200);
    return r.body.results.map((x: any) => x.body);
  };
  async function upload(room: string, bytes: Uint8Array<ArrayBuffer>, name: string): Promise<string> {
    const fd = new FormData();
    fd.append("file", new File([bytes], name));
    const res = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${alice.accessToken}` } });
    return ((await res.json()) as any).upload.id;
  }

  {
    test("DEPTH-50 from:<username> keeps one sender; an unknown user finds nothing", async () => {
      await say(a, general, "kumquat from alice");
      await say(b, general, "kumquat from bob");
      expect(await bodies(`kumquat from:${bob.user.username}`)).toEqual(["kumquat from bob"]);
      expect(await bodies(`from:@${alice.user.username.toUpperCase()} kumquat`)).toEqual(["kumquat from alice"]);
      expect(await bodies("kumquat from:nobody_here")).toEqual([]);
    });

    test("DEPTH-51 in:<room name>, case-insensitive, quoted when it has spaces; a room I am not in is never searched", async () => {
      await say(a, general, "persimmon in general");
      await say(a, random, "persimmon in random");
      const carol = await register(s.url);
      const hers = await createRoom(s.url, carol, "public", "random");
      await api(s.url, "POST", `/api/rooms/${hers}/join`, undefined, carol.accessToken);
      const cc = await Client.connect(s, carol);
      await say(cc, hers, "persimmon in carol's random");
      cc.close();
      expect(await bodies('persimmon in:"general chat"')).toEqual(["persimmon in general"]);
      expect(await bodies("persimmon in:RANDOM")).toEqual(["persimmon in random"]);
      expect(await bodies("persimmon in:nowhere")).toEqual([]);
    });

    test("DEPTH-52 has:file, has:image, has:link", async () => {
      const img = await upload(general, PNG, "dot.png");
      const txt = await upload(general, new TextEncoder().encode("plain notes"), "notes.txt");
      await say(a, general, "guava with image", [img]);
      await say(a, general, "guava with notes", [txt]);
      await say(a, general, "guava see https://example.invalid/page");
      await say(a, general, "guava plain");
      expect(await bodies("guava has:file")).toEqual(["guava with notes", "guava with image"]);
      expect(await bodies("guava has:image")).toEqual(["guava with image"]);
      expect(await bodies("guava has:link")).toEqual(["guava see https://example.invalid/page"]);
      expect((await search("guava has:video")).status).toBe(400);
    });

    test("DEPTH-53 before:/after: are whole UTC days; a bad date is invalid_request", async () => {
      now = Date.UTC(2026, 2, 9, 23, 59, 59, 999);
      await say(a, general, "papaya day one");
      now = Date.UTC(2026, 2, 10); // midnight: the next day
      await say(a, general, "papaya day two");
      expect(await bodies("papaya before:2026-03-10")).toEqual(["papaya day one"]);
      expect(await bodies("papaya after:2026-03-09")).toEqual(["papaya day two"]);
      expect(await bodies("papaya after:2026-03-08 before:2026-03-11")).toEqual(["papaya day two", "papaya day one"]);
      expect(await bodies("papaya after:2026-03-09 before:2026-03-10")).toEqual([]);
      for (const bad of ["before:2026-02-30", "after:yesterday", "before:2026-3-1", "after:99999-01-01"]) {
        const r = await search(`papaya ${bad}`);
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe("invalid_request");
      }
    });

    test("DEPTH-54 combined filters narrow together", async () => {
      const img = await upload(random, PNG, "x.png");
      await say(b, random, "lychee combined by bob");
      await say(a, random, "lychee combined by alice with image", [img]);
      await say(a, general, "lychee combined by alice elsewhere");
      expect(await bodies(`lychee from:${alice.user.username} in:random has:image after:2026-03-09`)).toEqual(["lychee combined by alice with image"]);
      expect(await bodies(`lychee from:${alice.user.username} in:random has:image after:2026-03-10`)).toEqual([]);
      expect(await bodies(`from:${bob.user.username} in:random after:2026-03-09`)).toEqual(["lychee combined by bob"]); // filters alone
    });

    test("DEPTH-55 a quoted phrase matches as written; loose words match in any order", async () => {
      await say(a, general, "the quick brown durian");
      await say(a, general, "durian brown, quick the");
      expect(await bodies('"quick brown durian"')).toEqual(["the quick brown durian"]);
      expect(await bodies("quick brown durian")).toEqual(["durian brown, quick the", "the quick brown durian"]);
      expect(await bodies('"brown durian" quick')).toEqual(["the quick brown durian"]);
      expect(await bodies('"brown, quick')).toEqual(["durian brown, quick the"]); // an unclosed quote runs to the end
    });

    test("DEPTH-56 results carry the matched ranges (UTF-16 offsets, merged), for words and phrases", async () => {
      await say(a, general, "Mango 🍋 mango-MANGO tango");
      const r = await search('mango "o tan"');
      const hit = r.body.results[0];
      expect(hit.body).toBe("Mango 🍋 mango-MANGO tango");
      const marked = hit.highlights.map(([x, y]: [number, number]) => hit.body.slice(x, y));
      expect(marked).toEqual(["Mango", "mango", "MANGO tan"]);
    });

    test("DEPTH-57 filtered results page with nextBefore until the last page", async () => {
      for (let i = 1; i <= 5; i++) await say(i % 2 ? a : b, general, `rambutan page ${i}`);
      const seen: string[] = [];
      let extra = "&limit=2";
      for (let pages = 0; ; pages++) {
        const r = await search(`rambutan from:${alice.user.username}`, extra);
        seen.push(...r.body.results.map((x: any) => x.body));
        if (r.body.nextBefore === undefined) break;
        extra = `&limit=2&before=${r.body.nextBefore}`;
        expect(pages).toBeLessThan(5);
      }
      expect(seen).toEqual(["rambutan page 5", "rambutan page 3", "rambutan page 1"]);
    });

    test("DEPTH-58 hostile queries answer 200 or 400, never 500; an empty filter value is a plain word", async () => {
      const hostile = [
        '"', '""', '" "', "from:", "in:", "has:", "before:", "after:", ":", "::::", "from:\"\"", 'in:"', "*", "NEAR(a b)", "a AND b OR NOT c",
        "%_%", "\\", "'; DROP TABLE events; --", "{}[]()^$.|?+", "(((", "\u{1F600}\u{1F600}", "ＡＢＣ", "é" + "\u0301".repeat(50), "x".repeat(200),
        "from:a from:b in:x in:y", "has:file has:file has:link", "before:2026-01-01 after:2027-01-01", "http://[::1]:80/", "in:\u05D0\u05D1",
      ];
      for (const q of hostile) {
        const r = await search(q);
        expect([200, 400]).toContain(r.status);
      }
      expect((await search("x".repeat(201))).status).toBe(400);
      expect((await search("a\u0000b")).status).toBe(400); // control characters: refused by the input check
      expect((await search("   ")).status).toBe(400);
      await say(a, general, "from: the start");
      expect(await bodies("from:")).toContain("from: the start");
    });

    test("DEPTH-59 unauthorized and malformed paging are refused", async () => {
      expect((await api(s.url, "GET", "/api/search?q=x")).status).toBe(401);
      expect((await search("x", "&before=0")).status).toBe(400);
      expect((await search("x", "&limit=1.5")).status).toBe(400);
    });
  }
});

describe("query parsing", () => {
  test("DEPTH-60 parseQuery: filters, phrases, words; unknown keys stay text", () => {
    expect(parseQuery('from:@Bob in:"general chat" has:LINK has:link "a  phrase" word foo:bar http://x.y/z before:2026-01-02 after:2025-12-31')).toEqual({
      terms: ["a  phrase", "word", "foo:bar", "http://x.y/z"], from: "bob", in: "general chat", has: ["link"], sentUntil: Date.UTC(2026, 0, 2), sentFrom: Date.UTC(2026, 0, 1),
    });
    expect(matchRanges("aaa", ["a", "aa"])).toEqual([[0, 3]]);
    expect(matchRanges("x.y", ["."])).toEqual([[1, 2]]);
  });
});
