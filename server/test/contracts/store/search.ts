// Store contract, search: who may find what, in which order, and which texts match.

import { describe, expect, test } from "bun:test";
import type { Store } from "../../../ports/store";
import type { UploadMime } from "../../../ports/uploads";
import { deleteEv, editEv, memberEv, msg, newRoom, newUser, one, uploadRow, useFreshStore, type StoreFactory } from "./fixtures";

export function searchRules(factory: StoreFactory) {
  describe("search", () => {
    const fresh = useFreshStore(factory);
    const LIMIT = 50;
    /** Bodies of the hits, newest first. */
    const bodies = async (s: Store, user: string, text: string, q: { room?: string } = {}) => (await s.search(user, { text, limit: LIMIT, ...q })).map((h) => h.body);

    test("STORE-34 only rooms the user is a member of (now, not before); `room` narrows to one room", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const shared = (await newRoom(s, v.id, { members: [u.id] })).id;
      const notMine = (await newRoom(s, v.id)).id;
      const own = (await newRoom(s, u.id)).id;
      await one(s, msg(shared, v.id, "membership shared"));
      await one(s, msg(notMine, v.id, "membership hidden"));
      const hit = await one(s, msg(own, u.id, "membership own"));
      expect(await bodies(s, u.id, "membership")).toEqual(["membership own", "membership shared"]);
      expect(await s.search(u.id, { text: "membership", room: own, limit: LIMIT })).toEqual([
        { room: own, seq: hit.seq, sender: u.id, ts: hit.ts, body: "membership own", cursor: expect.anything() },
      ]);
      expect(await bodies(s, u.id, "membership", { room: notMine })).toEqual([]);
      await one(s, memberEv(shared, u.id, u.id, "leave", [{ type: "member.remove", userId: u.id }]));
      expect(await bodies(s, u.id, "membership")).toEqual(["membership own"]);
    });

    test("STORE-35 newest first; `limit` hits per page; a hit's cursor passed as `before` gives the next older page", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const b = (await newRoom(s, u.id)).id;
      for (let i = 1; i <= 5; i++) await one(s, msg(i % 2 ? a : b, u.id, `paging ${i}`));
      const pages: string[][] = [];
      let before: number | undefined;
      for (;;) {
        const hits = await s.search(u.id, { text: "paging", limit: 2, before });
        if (hits.length === 0) break;
        pages.push(hits.map((h) => h.body));
        before = hits[hits.length - 1].cursor;
      }
      expect(pages).toEqual([["paging 5", "paging 4"], ["paging 3", "paging 2"], ["paging 1"]]);
    });

    test("STORE-36 parts of words match, case-insensitively", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      await one(s, msg(room, u.id, "Hello, Wonderful World"));
      for (const q of ["hel", "hello", "HELLO", "ello", "onderf", "o, w", "wonderful world"]) expect(await bodies(s, u.id, q)).toEqual(["Hello, Wonderful World"]);
      expect(await bodies(s, u.id, "wonderless")).toEqual([]);
    });

    test("STORE-37 CJK text matches by characters: one, two or more", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      await one(s, msg(room, u.id, "你好世界"));
      for (const q of ["界", "世界", "好世界", "你好世界"]) expect(await bodies(s, u.id, q)).toEqual(["你好世界"]);
      expect(await bodies(s, u.id, "界你")).toEqual([]);
    });

    test("STORE-38 deleted messages never match, whether they were indexed before the delete or not", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const early = await one(s, msg(room, u.id, "vanishing 鳥 early"));
      expect(await bodies(s, u.id, "vanishing")).toHaveLength(1); // now it is indexed
      const late = await one(s, msg(room, u.id, "vanishing 鳥 late"));
      await s.append([deleteEv(room, u.id, early.seq), deleteEv(room, u.id, late.seq)]);
      for (const q of ["vanishing", "鳥", "early", "late"]) expect(await bodies(s, u.id, q)).toEqual([]);
    });

    test("STORE-39 an edited message matches its new body, never the old one, whether it was indexed before the edit or not", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const early = await one(s, msg(room, u.id, "oldword 旧 early"));
      expect(await bodies(s, u.id, "oldword")).toHaveLength(1); // now it is indexed
      const late = await one(s, msg(room, u.id, "oldword 旧 late"));
      await s.append([editEv(room, u.id, early.seq, "newword 新 early"), editEv(room, u.id, late.seq, "newword 新 late")]);
      for (const q of ["oldword", "旧"]) expect(await bodies(s, u.id, q)).toEqual([]);
      for (const q of ["newword", "新"]) expect(await bodies(s, u.id, q)).toEqual(["newword 新 late", "newword 新 early"]);
      // Edit events carry the text too, but only messages are hits.
      expect((await s.search(u.id, { text: "newword", limit: LIMIT })).map((h) => h.seq)).toEqual([late.seq, early.seq]);
    });

    test("STORE-40 the query is literal text: %, _, quotes and words like OR match only themselves", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      for (const b of ["100% sure", "a_b", "axb", 'say "hi" now', "this OR that", "this and that"]) await one(s, msg(room, u.id, b));
      expect(await bodies(s, u.id, "%")).toEqual(["100% sure"]);
      expect(await bodies(s, u.id, "0%")).toEqual(["100% sure"]);
      expect(await bodies(s, u.id, "_")).toEqual(["a_b"]);
      expect(await bodies(s, u.id, "a_b")).toEqual(["a_b"]);
      expect(await bodies(s, u.id, '"hi"')).toEqual(['say "hi" now']);
      expect(await bodies(s, u.id, "this OR that")).toEqual(["this OR that"]);
      expect(await bodies(s, u.id, "s OR t")).toEqual(["this OR that"]);
    });

    test("STORE-140 `terms`: every text must appear too, in any order, long and short ones alike; text \"\" matches every message", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      for (const b of ["alpha beta gamma", "gamma alpha", "alpha only", "東京 alpha"]) await one(s, msg(room, u.id, b));
      const find = async (text: string, terms: string[]) => (await s.search(u.id, { text, terms, room, limit: LIMIT })).map((h) => h.body);
      expect(await find("alpha", ["gamma"])).toEqual(["gamma alpha", "alpha beta gamma"]);
      expect(await find("gamma", ["a b"])).toEqual(["alpha beta gamma"]);
      expect(await find("东", ["alpha"])).toEqual([]);
      expect(await find("京", ["alpha"])).toEqual(["東京 alpha"]);
      expect(await find("", [])).toEqual(["東京 alpha", "alpha only", "gamma alpha", "alpha beta gamma"]);
      expect(await find("", ["only", "al"])).toEqual(["alpha only"]);
    });

    test("STORE-141 `from` keeps one sender's messages; `rooms` keeps those rooms ([] matches nothing), still only rooms the user is in", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const a = (await newRoom(s, u.id, { members: [v.id] })).id;
      const b = (await newRoom(s, u.id, { members: [v.id] })).id;
      const hidden = (await newRoom(s, v.id)).id;
      await one(s, msg(a, u.id, "filtered u in a"));
      await one(s, msg(a, v.id, "filtered v in a"));
      await one(s, msg(b, v.id, "filtered v in b"));
      await one(s, msg(hidden, v.id, "filtered v hidden"));
      const find = async (q: { from?: string; rooms?: string[] }) => (await s.search(u.id, { text: "filtered", limit: LIMIT, ...q })).map((h) => h.body);
      expect(await find({ from: v.id })).toEqual(["filtered v in b", "filtered v in a"]);
      expect(await find({ rooms: [a] })).toEqual(["filtered v in a", "filtered u in a"]);
      expect(await find({ rooms: [a, hidden] })).toEqual(["filtered v in a", "filtered u in a"]);
      expect(await find({ rooms: [b, a], from: u.id })).toEqual(["filtered u in a"]);
      expect(await find({ rooms: [] })).toEqual([]);
    });

    test("STORE-142 `has`: file = an attachment not deleted, image = an image attachment, link = http(s):// in the body; all given must hold", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const withFile = async (body: string, mime: UploadMime) => {
        const up = uploadRow(room, u.id, { mime });
        await s.uploads.insert(up);
        return one(s, msg(room, u.id, body, { data: { attachments: [up.id] }, effects: [{ type: "uploads.attach", ids: [up.id] }] }));
      };
      await withFile("has pdf", "application/pdf");
      await withFile("has png https://example.com", "image/png");
      await one(s, msg(room, u.id, "has HTTP://example.com/x"));
      await one(s, msg(room, u.id, "has nothing example.com"));
      const gone = await withFile("has deleted", "image/png");
      await one(s, deleteEv(room, u.id, gone.seq));
      const find = async (has: ("file" | "image" | "link")[]) => (await s.search(u.id, { text: "has", room, has, limit: LIMIT })).map((h) => h.body);
      expect(await find(["file"])).toEqual(["has png https://example.com", "has pdf"]);
      expect(await find(["image"])).toEqual(["has png https://example.com"]);
      expect(await find(["link"])).toEqual(["has HTTP://example.com/x", "has png https://example.com"]);
      expect(await find(["file", "link"])).toEqual(["has png https://example.com"]);
      expect(await find([])).toHaveLength(4);
    });

    test("STORE-143 sentFrom <= ts < sentUntil, either alone or both", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const es = [];
      for (let i = 0; i < 4; i++) es.push(await one(s, msg(room, u.id, `dated ${i}`)));
      const find = async (q: { sentFrom?: number; sentUntil?: number }) => (await s.search(u.id, { text: "dated", room, limit: LIMIT, ...q })).map((h) => h.body);
      expect(await find({ sentFrom: es[2].ts })).toEqual(["dated 3", "dated 2"]);
      expect(await find({ sentUntil: es[1].ts })).toEqual(["dated 0"]);
      expect(await find({ sentFrom: es[1].ts, sentUntil: es[3].ts })).toEqual(["dated 2", "dated 1"]);
      expect(await find({ sentFrom: es[3].ts + 1 })).toEqual([]);
    });

    test("STORE-144 filters page with `before` like plain text", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      for (let i = 1; i <= 5; i++) await one(s, msg(room, i % 2 ? u.id : v.id, `pagefilter ${i}`));
      const pages: string[][] = [];
      for (let before: number | undefined; ; ) {
        const hits = await s.search(u.id, { text: "", terms: ["pagefilter"], from: u.id, limit: 2, before });
        if (hits.length === 0) break;
        pages.push(hits.map((h) => h.body));
        before = hits[hits.length - 1].cursor;
      }
      expect(pages).toEqual([["pagefilter 5", "pagefilter 3"], ["pagefilter 1"]]);
    });
  });
}
