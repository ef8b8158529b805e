// migrate-store: a libSQL database built through the real app is copied into PostgreSQL row for row, and a server on the copy behaves the same (MIGSTORE-n).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import Database from "libsql";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as pgSchema from "../../db/schema.pg";
import * as sqliteSchema from "../../db/schema";
import { createStore } from "../../adapters/store";
import { openConnection } from "../../adapters/store/libsql-connection";
import { buildBinary } from "../../build";
import { Client, api, createRoom, register, startServer, tempDir, type Session, type TestServer } from "../../test/harness";
import { pgDatabase } from "../../test/cluster";
import { migrateStore } from "./migrate-store";
import { schemaTables } from "./migrate-store-db";
import { dumpRows as dump, type Rows } from "./dump-rows";

const PASSWORD = "correct horse battery";
const MAIN = join(import.meta.dir, "../../main.ts");

const without = (rows: Rows, names: string[]) => rows.filter((r) => !names.includes(r.name as string));

let src: TestServer;
let srcUrl: string;
let alice: Session, bob: Session, carol: Session, dave: Session, erin: Session;
let general: string, secret: string, dm: string;
const uploadBytes = new Map<string, Uint8Array>();
let deletedUpload: string;
/** What the source server answered, to compare with a server on the copy. */
const seen = { rooms: new Map<string, unknown>(), history: new Map<string, unknown[]>(), search: new Map<string, unknown>() };
const pg = await pgDatabase("parley_migstore_");
const cleanup: (() => Promise<unknown> | unknown)[] = [() => pg.drop()];

const say = async (c: Client, room: string, body: string, extra: object = {}) => {
  const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
const call = async (base: string, who: Session, method: string, path: string, body?: unknown, status = [200, 201, 204]) => {
  const r = await api(base, method, path, body, who.accessToken);
  if (!status.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
async function upload(base: string, who: Session, room: string, text: string): Promise<string> {
  const fd = new FormData();
  fd.append("file", new Blob([text], { type: "text/plain" }), `${text.slice(0, 8)}.txt`);
  const res = await fetch(`${base}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${who.accessToken}` } });
  const body = (await res.json()) as any;
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
  uploadBytes.set(body.upload.id, new TextEncoder().encode(text));
  return body.upload.id;
}
/** Every page of a room's history, newest page first, as the client pages it. */
async function history(base: string, who: Session, room: string): Promise<unknown[]> {
  const pages: unknown[] = [];
  for (let before: number | undefined; ; ) {
    const page = await call(base, who, "GET", `/api/rooms/${room}/messages?limit=50${before ? `&before=${before}` : ""}`);
    pages.push(page);
    if (!page.hasMore) return pages;
    before = page.events[0].seq;
  }
}
const byId = (rooms: { id: string }[]) => [...rooms].sort((a, b) => (a.id < b.id ? -1 : 1));
const SEARCHES = ["lunch", "日本語", "secret", "message 1", "hello"];

/** Each user's room list, each room's history and some searches, as they are answered now. */
async function observe(base: string, sessions: Session[]) {
  const out = { rooms: new Map<string, unknown>(), history: new Map<string, unknown[]>(), search: new Map<string, unknown>() };
  for (const s of sessions) out.rooms.set(s.user.username, byId((await call(base, s, "GET", "/api/rooms")).rooms));
  for (const room of [general, secret, dm]) out.history.set(room, await history(base, alice, room));
  for (const q of SEARCHES) for (const s of [alice, bob]) out.search.set(`${s.user.username}:${q}`, (await call(base, s, "GET", `/api/search?q=${encodeURIComponent(q)}&limit=100`)).results);
  return out;
}

beforeAll(async () => {
  src = await startServer({ config: { writeBurst: 100_000, writeRatePerSec: 100_000, readBurst: 100_000, readRatePerSec: 100_000 } });
  srcUrl = src.ctx.config.databaseUrl;
  // One at a time: the first account is the server admin.
  alice = await register(src.url, undefined, PASSWORD);
  [bob, carol, dave, erin] = await Promise.all([1, 2, 3, 4].map(() => register(src.url, undefined, PASSWORD)));
  general = await createRoom(src.url, alice, "public", "general");
  for (const s of [bob, carol, dave]) await call(src.url, s, "POST", `/api/rooms/${general}/join`);
  secret = await createRoom(src.url, alice, "private", "secret");
  await call(src.url, alice, "POST", `/api/rooms/${secret}/members`, { username: bob.user.username });
  dm = (await call(src.url, alice, "POST", "/api/dm", { username: bob.user.username })).room.id;

  const [a, b, c] = await Promise.all([alice, bob, carol].map((s) => Client.connect(src, s)));
  for (let i = 0; i < 130; i++) await say([a, b, c][i % 3], general, `message ${i} in general`);
  const m1 = await say(a, general, "hello everyone, lunch at noon? 日本語のテスト");
  await say(b, general, "sure", { replyTo: m1.seq });
  await say(c, general, `@${alice.user.username} @${bob.user.username} lunch plans above`);
  expect((await a.request({ type: "edit", room: general, msgSeq: m1.seq, body: "hello everyone, lunch at one? 日本語のテスト" })).type).toBe("ok");
  const oops = await say(b, general, "oops, wrong room");
  expect((await b.request({ type: "delete", room: general, msgSeq: oops.seq })).type).toBe("ok");
  for (const [cl, emoji] of [[c, "👍"], [b, "🎉"], [a, "👍"]] as const) expect((await cl.request({ type: "react", room: general, msgSeq: m1.seq, emoji, on: true })).type).toBe("ok");
  expect((await a.request({ type: "react", room: general, msgSeq: m1.seq, emoji: "👍", on: false })).type).toBe("ok");

  const sent = await upload(src.url, alice, general, "the lunch menu, as a file");
  await say(a, general, "menu attached", { attachments: [sent] });
  await upload(src.url, alice, general, "a draft nobody sent yet");
  deletedUpload = await upload(src.url, bob, general, "a file whose message goes away");
  const gone = await say(b, general, "this goes away", { attachments: [deletedUpload] });
  expect((await b.request({ type: "delete", room: general, msgSeq: gone.seq })).type).toBe("ok");

  await say(a, secret, "the secret plan");
  await say(b, secret, `@${alice.user.username} secret agreed`);
  await say(a, dm, "private hello");
  await say(b, dm, "hi alice");
  expect((await b.request({ type: "read", room: general, seq: m1.seq })).type).toBe("ok");
  expect((await c.request({ type: "read", room: general, seq: m1.seq + 2 })).type).toBe("ok");

  await call(src.url, alice, "POST", `/api/rooms/${general}/bans`, { userId: dave.user.id });
  await call(src.url, alice, "POST", `/api/rooms/${general}/members/${carol.user.id}/mute`, { seconds: 600 });
  await call(src.url, bob, "PUT", `/api/rooms/${secret}/notifications`, { muted: true });
  await call(src.url, alice, "PATCH", `/api/rooms/${general}`, { topic: "lunch talk", slowModeSec: 2 });
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  const keys = { p256dh: b64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey))), auth: b64(crypto.getRandomValues(new Uint8Array(16))) };
  await call(src.url, alice, "POST", "/api/push/subscriptions", { endpoint: "https://push.example.test/send/alice", keys });
  const rotated = await api(src.url, "POST", "/api/auth/refresh", { refreshToken: erin.refreshToken });
  expect(rotated.status).toBe(200);
  await call(src.url, alice, "POST", `/api/admin/users/${erin.user.id}/deactivate`);
  await src.ctx.store.sharedSecret("migrate-test", () => "a shared value");

  const o = await observe(src.url, [alice, bob, carol, dave]);
  Object.assign(seen, o);
  for (const cl of [a, b, c]) cl.close();
  await src.stop();
}, 60_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
  rmSync(src?.dataDir ?? "/nonexistent", { recursive: true, force: true });
});

describe("parley migrate-store", () => {
  test("MIGSTORE-1 every table of the schema arrives row for row with the same values; the key files become shared secrets and upload files become blobs", async () => {
    const lines: string[] = [];
    // Pages of 7 rows: many keyset pages in every table, composite and WITHOUT ROWID keys included.
    const r = await migrateStore({ from: srcUrl, to: pg.url, pageRows: 7, print: (l) => lines.push(l) });
    const before = await dump(srcUrl);
    const after = await dump(pg.url);
    // The scenario fills every table a single node writes (upload_blobs stays empty there: files hold the bytes).
    for (const t of ["users", "refresh_tokens", "rooms", "members", "events", "idempotency_keys", "bans", "mentions", "reactions", "uploads", "push_subscriptions", "server_secrets"]) {
      expect(before[t]?.length ?? 0).toBeGreaterThan(0);
    }
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const t of Object.keys(before)) {
      if (t === "server_secrets" || t === "upload_blobs") continue;
      expect({ table: t, rows: after[t] }).toEqual({ table: t, rows: before[t] });
    }
    // Booleans and nulls survive the dialect change (is_admin, notifications_muted, deactivated_at).
    expect(after.users.find((u) => u.id === alice.user.id)).toMatchObject({ isAdmin: true, deactivatedAt: null });
    expect(after.users.find((u) => u.id === erin.user.id)?.deactivatedAt).toEqual(expect.any(Number));
    expect(after.members.find((m) => m.roomId === secret && m.userId === bob.user.id)?.notificationsMuted).toBe(true);

    expect(without(after.server_secrets, ["jwt", "vapid"])).toEqual(before.server_secrets);
    const file = (name: string) => readFileSync(join(src.dataDir, name), "utf8").trim();
    expect(Object.fromEntries(after.server_secrets.filter((s) => ["jwt", "vapid"].includes(s.name as string)).map((s) => [s.name, s.value]))).toEqual({ jwt: file("jwt.secret"), vapid: file("vapid.json") });
    expect(r.secrets.sort()).toEqual(["jwt", "vapid"]);

    // Uploads not deleted have their file's bytes in the target's blobs; the deleted one's file was gone already.
    const live = before.uploads.filter((u) => u.deletedAt === null).map((u) => u.id as string);
    expect(live.length).toBe(2);
    expect(after.upload_blobs.map((b) => [b.id, b.bytes]).sort()).toEqual(live.map((id) => [id, Buffer.from(uploadBytes.get(id)!).toString("hex")]).sort());
    expect(r.uploads).toMatchObject({ intoBlobs: true, files: 2, missing: [] });
    expect(existsSync(join(src.dataDir, "uploads", deletedUpload))).toBe(false);

    expect(r.rows).toBe(Object.values(before).reduce((n, rows) => n + rows.length, 0));
    for (const t of ["users", "events", "idempotency_keys"]) expect(lines.some((l) => new RegExp(`^\\s+${t}\\s+${before[t].length} rows`).test(l))).toBe(true);
    expect(lines.some((l) => /^copied [\d,]+ rows in \d+ tables in [\d.]+ s \([\d,]+ rows\/s\)$/.test(l))).toBe(true);
  }, 60_000);

  test("MIGSTORE-2 a server on the PostgreSQL copy: login, the same rooms and unread counts, identical history pages and search, the next seq", async () => {
    const dst = await startServer({ config: { databaseUrl: pg.url } });
    cleanup.push(() => dst.stop(), () => rmSync(dst.dataDir, { recursive: true, force: true }));
    const sessions: Session[] = [];
    for (const s of [alice, bob, carol, dave]) {
      const r = await api<Session>(dst.url, "POST", "/api/auth/login", { username: s.user.username, password: PASSWORD });
      expect(r.status).toBe(200);
      sessions.push(r.body);
    }
    [alice, bob, carol, dave] = sessions;
    expect((await api(dst.url, "POST", "/api/auth/login", { username: erin.user.username, password: PASSWORD })).status).not.toBe(200); // still deactivated
    const o = await observe(dst.url, sessions);
    expect(o.rooms).toEqual(seen.rooms);
    expect((o.rooms.get(bob.user.username) as any[]).find((r) => r.id === general).unread).toBeGreaterThan(0);
    expect(o.history).toEqual(seen.history);
    expect(o.search).toEqual(seen.search);
    expect((o.search.get(`${alice.user.username}:lunch`) as unknown[]).length).toBeGreaterThan(1);

    // The upload's bytes now come from the database.
    const sentId = [...uploadBytes.keys()][0];
    const file = await fetch(`${dst.url}/api/uploads/${sentId}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).toString("hex")).toBe(Buffer.from(uploadBytes.get(sentId)!).toString("hex"));

    const lastSeq = (o.rooms.get(alice.user.username) as any[]).find((r) => r.id === general).lastSeq;
    const a = await Client.connect(dst, alice);
    const e = await say(a, general, "first message on PostgreSQL");
    expect(e.seq).toBe(lastSeq + 1);
    expect((await call(dst.url, bob, "GET", `/api/search?q=${encodeURIComponent("first message on PostgreSQL")}`)).results).toMatchObject([{ seq: e.seq, room: general }]);
    a.close();
  }, 60_000);

  test("MIGSTORE-3 a target that holds users or rooms is refused with a clear error and left untouched", async () => {
    const before = await dump(pg.url);
    const err = await migrateStore({ from: srcUrl, to: pg.url }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/already holds data \(\d+ users, \d+ rooms, [^)]*\): migrate-store copies into an empty database only and never merges/);
    expect(await dump(pg.url)).toEqual(before);
  }, 30_000);

  test("MIGSTORE-4 a missing source file and --from equal to --to are refused before anything is written", async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const missing = join(dir, "nothing-here.db");
    await expect(migrateStore({ from: "file:" + missing, to: pg.url })).rejects.toThrow(`no database at ${missing}`);
    expect(existsSync(missing)).toBe(false);
    await expect(migrateStore({ from: srcUrl, to: srcUrl })).rejects.toThrow("the same database");
    await expect(migrateStore({ from: srcUrl, to: pg.url, uploadsDir: join(dir, "no-uploads") })).rejects.toThrow(`--uploads: no directory at ${join(dir, "no-uploads")}`);
  });

  test("MIGSTORE-8 a copy that fails half-way empties the target again, so the same command then succeeds", async () => {
    const dir = tempDir("parley-migstore-bad-");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const bad = join(dir, "parley.db");
    const copy = await createStore(srcUrl);
    await copy.backup(bad);
    await copy.close();
    // SQLite keeps whatever it is given: text in an integer column, which PostgreSQL's bigint refuses.
    const db = new Database(bad);
    db.exec("UPDATE events SET ts = 'not a time' WHERE rowid = (SELECT max(rowid) FROM events)");
    const target = await pgDatabase("parley_migstore_");
    cleanup.push(() => target.drop());
    const err = await migrateStore({ from: "file:" + bad, to: target.url, pageRows: 50 }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^copying events \(after [\d,]+ rows\): column ts: "not a time" is not a number; the target was emptied again: fix the cause and run the command again$/);
    for (const [t, rows] of Object.entries(await dump(target.url))) expect({ t, rows }).toEqual({ t, rows: [] });

    db.exec("UPDATE events SET ts = 1 WHERE ts = 'not a time'");
    db.close();
    const r = await migrateStore({ from: "file:" + bad, to: target.url, pageRows: 50 });
    expect(r.tables.find((t) => t.table === "events")?.rows).toBe((await dump(srcUrl)).events.length);
  }, 60_000);
});

describe("compiled binary and the way back", () => {
  const dir = tempDir("parley-migstore-bin-");
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  let fresh: { url: string; drop(): Promise<void> };

  test("MIGSTORE-5 the binary runs migrate-store: a target with only the secrets of nodes started on the empty database is taken, and a second run refused", async () => {
    const bin = await buildBinary(join(dir, "parley"));
    fresh = await pgDatabase("parley_migstore_");
    cleanup.push(() => fresh.drop());
    // A cluster node started on the empty database made its own keys; nothing used them.
    const early = await createStore(fresh.url);
    await early.migrate();
    await early.sharedSecret("jwt", () => "made by a node before the copy");
    await early.close();

    const help = Bun.spawnSync([bin, "--help"]);
    expect(help.stdout.toString()).toContain("parley migrate-store --from <url> --to <url>");
    expect(Bun.spawnSync([bin, "migrate-store", "--from", srcUrl]).exitCode).toBe(2); // usage

    const run = Bun.spawnSync([bin, "migrate-store", "--from", srcUrl.slice("file:".length), "--to", fresh.url], { env: { ...process.env, DATABASE_URL: "" } });
    const out = run.stdout.toString();
    expect({ code: run.exitCode, err: run.stderr.toString() }).toEqual({ code: 0, err: "" });
    expect(out).toContain("replacing 1 server_secrets rows");
    expect(out).toMatch(/^\s+events\s+[\d,]+ rows/m);
    expect(out).toMatch(/^copied [\d,]+ rows/m);
    expect(out).toContain("2 files");
    const copy = await dump(fresh.url);
    expect(copy.server_secrets.find((s) => s.name === "jwt")?.value).toBe(readFileSync(join(src.dataDir, "jwt.secret"), "utf8").trim());
    expect(copy.events).toEqual((await dump(srcUrl)).events);

    const again = Bun.spawnSync([bin, "migrate-store", `--from=${srcUrl}`, `--to=${fresh.url}?max=1`]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr.toString()).toMatch(/^parley migrate-store: .*already holds data/);
  }, 180_000);

  test("MIGSTORE-6 PostgreSQL back into a new libSQL file (source main.ts): the same rows, search built by the libSQL adapter in the same order", async () => {
    const back = join(dir, "back.db");
    const run = Bun.spawnSync([process.execPath, MAIN, "migrate-store", "--from", fresh.url, "--to", "file:" + back]);
    expect({ code: run.exitCode, err: run.stderr.toString() }).toEqual({ code: 0, err: "" });
    expect(run.stdout.toString()).toContain("upload blobs were copied into upload_blobs, but a single node serves uploads from <data>/uploads/ files");
    const original = await dump(srcUrl);
    const copy = await dump("file:" + back);
    for (const t of Object.keys(original)) if (t !== "server_secrets" && t !== "upload_blobs") expect({ table: t, rows: copy[t] }).toEqual({ table: t, rows: original[t] });

    const [a, b] = [await createStore(srcUrl), await createStore("file:" + back)];
    try {
      for (const text of ["general", "lunch", "日本語"]) {
        const strip = (hits: { cursor: number }[]) => hits.map(({ cursor: _, ...h }) => h);
        const want = strip(await a.search(alice.user.id, { text, limit: 200 }));
        expect(want.length).toBeGreaterThan(0);
        expect(strip(await b.search(alice.user.id, { text, limit: 200 }))).toEqual(want);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});

describe("copy order", () => {
  test("MIGSTORE-7 the copy takes every table both schema modules export, in foreign-key order, each with its whole primary key", () => {
    for (const [dialect, mod, kind] of [["sqlite", sqliteSchema, SQLiteTable], ["pg", pgSchema, PgTable]] as const) {
      const tables = schemaTables(dialect);
      const exported = Object.entries(mod).filter(([, t]) => is(t, kind));
      expect(tables.map((t) => t.key).sort()).toEqual(exported.map(([k]) => k).sort());
      for (const t of tables) {
        expect(t.primaryKey.length).toBeGreaterThan(0);
        for (const k of t.primaryKey) expect(t.columns[k]).toBeDefined();
        for (const r of t.references) expect(tables.findIndex((x) => x.key === r)).toBeLessThan(tables.indexOf(t));
      }
    }
    expect(schemaTables("pg").find((t) => t.name === "reactions")?.primaryKey).toEqual(["roomId", "msgSeq", "emoji", "userId"]);
  });
});
