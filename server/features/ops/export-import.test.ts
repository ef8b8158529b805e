// parley export / import: a populated libSQL server → JSONL → PostgreSQL → JSONL → a new libSQL data directory, and every answer of a server on the result is the same (EXPORT-n).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, api, createRoom, register, startServer, tempDir, type Session, type TestServer, runParley } from "../../test/harness";
import { pgDatabase } from "../../test/cluster";
import Database from "libsql";
import { BLOB_DIR, MANIFEST, NOT_EXPORTED } from "./export";

const PASSWORD = "correct horse battery";
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));

const dir = tempDir("parley-export-");
const pg = await pgDatabase("parley_export_");
const cleanup: (() => unknown)[] = [() => pg.drop(), () => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
});

/** `parley <args>` from source, with the environment's settings blanked. */
const parley = runParley;
const call = async (base: string, who: Session, method: string, path: string, body?: unknown) => {
  const r = await api(base, method, path, body, who.accessToken);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const say = async (c: Client, room: string, body: string, extra: object = {}) => {
  const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
async function upload(base: string, who: Session, room: string, text: string): Promise<string> {
  const fd = new FormData();
  fd.append("file", new Blob([text], { type: "text/plain" }), "notes.txt");
  const res = await fetch(`${base}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${who.accessToken}` } });
  if (res.status !== 201) throw new Error(`upload ${res.status}`);
  return ((await res.json()) as any).upload.id;
}
const bytes = async (res: Response) => ({ status: res.status, hex: Buffer.from(await res.arrayBuffer()).toString("hex") });

let src: TestServer;
let users: Session[];
let rooms: string[];
let files: string[];
let avatarUrl: string;
/** A message's (room, clientMsgId, seq): its resend after the move must answer the same event. */
let keyed: { room: string; clientMsgId: string; seq: number; body: string };

/** Everything a client can see, as each user sees it. */
async function observe(base: string, sessions: Session[]) {
  const out: Record<string, unknown> = {};
  for (const s of sessions) {
    const name = s.user.username;
    out[`rooms:${name}`] = (await call(base, s, "GET", "/api/rooms")).rooms.sort((a: any, b: any) => (a.id < b.id ? -1 : 1));
    for (const room of rooms) {
      const member = (await api(base, "GET", `/api/rooms/${room}/members`, undefined, s.accessToken)).status === 200;
      if (!member) continue;
      // Presence is who is connected now, not stored data.
      out[`members:${name}:${room}`] = (await call(base, s, "GET", `/api/rooms/${room}/members`)).members.map(({ presence: _, ...m }: any) => m);
      const pages = [];
      for (let before: number | undefined; ; ) {
        const page = await call(base, s, "GET", `/api/rooms/${room}/messages?limit=7${before ? `&before=${before}` : ""}`);
        pages.push(page);
        if (!page.hasMore) break;
        before = page.events[0].seq;
      }
      out[`history:${name}:${room}`] = pages;
    }
    for (const q of ["lunch", "secret", "message 1", "日本語"]) out[`search:${name}:${q}`] = (await call(base, s, "GET", `/api/search?q=${encodeURIComponent(q)}&limit=50`)).results;
    for (const f of files) out[`upload:${name}:${f}`] = await bytes(await fetch(`${base}/api/uploads/${f}`, { headers: { authorization: `Bearer ${s.accessToken}` } }));
  }
  out.publicRooms = (await call(base, sessions[0], "GET", "/api/rooms/public")).rooms;
  out.invites = (await call(base, sessions[0], "GET", "/api/invites")).invites;
  out.adminUsers = (await call(base, sessions[0], "GET", "/api/admin/users?limit=100")).users;
  out.avatar = await bytes(await fetch(base + avatarUrl));
  return out;
}
const loginAll = async (base: string) => Promise.all(users.slice(0, 4).map(async (u) => (await api<Session>(base, "POST", "/api/auth/login", { username: u.user.username, password: PASSWORD })).body));
let seen: Record<string, unknown>;

beforeAll(async () => {
  src = await startServer({ config: { writeBurst: 100_000, writeRatePerSec: 100_000, readBurst: 100_000, readRatePerSec: 100_000 } });
  cleanup.push(() => rmSync(src.dataDir, { recursive: true, force: true }));
  const alice = await register(src.url, undefined, PASSWORD); // the first account: server admin
  const [bob, carol, dave, erin] = await Promise.all([1, 2, 3, 4].map(() => register(src.url, undefined, PASSWORD)));
  users = [alice, bob, carol, dave, erin];
  const general = await createRoom(src.url, alice, "public", "general");
  for (const s of [bob, carol, dave]) await call(src.url, s, "POST", `/api/rooms/${general}/join`);
  const secret = await createRoom(src.url, alice, "private", "secret");
  await call(src.url, alice, "POST", `/api/rooms/${secret}/members`, { username: bob.user.username });
  const dm = (await call(src.url, alice, "POST", "/api/dm", { username: bob.user.username })).room.id;
  rooms = [general, secret, dm];

  const [a, b, c] = await Promise.all([alice, bob, carol].map((s) => Client.connect(src, s)));
  for (let i = 0; i < 25; i++) await say([a, b, c][i % 3], general, `message ${i} in general`);
  const m1 = await say(a, general, "lunch at noon? 日本語のテスト");
  keyed = { room: general, clientMsgId: m1.clientMsgId, seq: m1.seq, body: "lunch at noon? 日本語のテスト" };
  await say(b, general, "sure", { replyTo: m1.seq });
  await say(c, general, `@${alice.user.username} @${bob.user.username} lunch plans above`);
  expect((await a.request({ type: "edit", room: general, msgSeq: m1.seq, body: "lunch at one? 日本語のテスト" })).type).toBe("ok");
  const oops = await say(b, general, "oops, wrong room");
  expect((await b.request({ type: "delete", room: general, msgSeq: oops.seq })).type).toBe("ok");
  for (const [cl, emoji] of [[c, "👍"], [b, "🎉"], [a, "👍"]] as const) expect((await cl.request({ type: "react", room: general, msgSeq: m1.seq, emoji, on: true })).type).toBe("ok");
  const sent = await upload(src.url, alice, general, "the lunch menu, as a file");
  await say(a, general, "menu attached", { attachments: [sent] });
  const draft = await upload(src.url, alice, general, "a draft nobody sent yet");
  files = [sent, draft];
  await say(a, secret, "the secret plan");
  await say(b, secret, `@${alice.user.username} secret agreed`);
  await say(a, dm, "private hello");
  await say(b, dm, "hi alice");
  expect((await b.request({ type: "read", room: general, seq: m1.seq })).type).toBe("ok");
  await call(src.url, alice, "POST", `/api/rooms/${general}/bans`, { userId: dave.user.id });
  await call(src.url, alice, "POST", `/api/rooms/${general}/members/${carol.user.id}/mute`, { seconds: 600 });
  await call(src.url, bob, "PUT", `/api/rooms/${secret}/notifications`, { muted: true });
  await call(src.url, alice, "PATCH", `/api/rooms/${general}`, { topic: "lunch talk", slowModeSec: 2 });
  await call(src.url, alice, "POST", "/api/invites", { maxUses: 3 });
  const fd = new FormData();
  fd.append("file", new Blob([PNG], { type: "image/png" }), "me.png");
  const av = await fetch(src.url + "/api/me/avatar", { method: "PUT", body: fd, headers: { authorization: `Bearer ${bob.accessToken}` } });
  avatarUrl = ((await av.json()) as any).user.avatarUrl;
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const b64 = (x: Uint8Array) => Buffer.from(x).toString("base64url");
  const keys = { p256dh: b64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey))), auth: b64(crypto.getRandomValues(new Uint8Array(16))) };
  await call(src.url, alice, "POST", "/api/push/subscriptions", { endpoint: "https://push.example.test/send/alice", keys });
  await src.ctx.store.identities.createLinked(
    { id: "sso-user-0001", username: "ssofrank", displayName: "Frank", passwordHash: "", isAdmin: false, deactivatedAt: null, createdAt: Date.now(), lastSeen: null, avatarId: null },
    { issuer: "https://id.example.test", subject: "frank", createdAt: Date.now() },
  );
  await call(src.url, alice, "POST", `/api/admin/users/${erin.user.id}/deactivate`);
  for (const cl of [a, b, c]) cl.close();
  seen = await observe(src.url, users.slice(0, 4));
  await src.stop();
}, 90_000);

/**
 * Every file of an export, the manifest without its time. Rows in table order, except events: their
 * insertion order (the search cursor) is kept by both stores; other tables come in the source's
 * physical order, which differs between libSQL and PostgreSQL and means nothing.
 */
function contents(exp: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(exp)) {
    if (f === BLOB_DIR) continue;
    const text = readFileSync(join(exp, f), "utf8");
    out[f] = f.endsWith(".jsonl") && f !== "events.jsonl" ? text.split("\n").sort().join("\n") : text;
  }
  for (const f of readdirSync(join(exp, BLOB_DIR))) out[`${BLOB_DIR}/${f}`] = readFileSync(join(exp, BLOB_DIR, f)).toString("hex");
  out[MANIFEST] = JSON.stringify({ ...JSON.parse(out[MANIFEST]), exportedAt: undefined });
  return out;
}

describe("parley export / import", () => {
  const first = join(dir, "from-libsql");
  const second = join(dir, "from-postgres");
  const back = join(dir, "data-back");

  test("EXPORT-1 export writes one JSONL file per kept table, the blobs and the push keys, all owner-only; sessions, tokens and secrets stay behind", () => {
    const r = parley("export", "--data", src.dataDir, first);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    expect(r.out).toMatch(/^exported [\d,]+ rows and 3 files into /m);
    const m = JSON.parse(readFileSync(join(first, MANIFEST), "utf8"));
    for (const t of ["users", "rooms", "members", "events", "idempotency_keys", "bans", "mentions", "reactions", "uploads", "invites", "push_subscriptions", "oidc_identities"]) expect({ t, n: m.tables[t] > 0 }).toEqual({ t, n: true });
    for (const t of NOT_EXPORTED) expect(existsSync(join(first, `${t}.jsonl`))).toBe(false);
    expect(m).toMatchObject({ blobs: 3, missingBlobs: [], vapid: true });
    expect(readFileSync(join(first, "vapid.json"), "utf8").trim()).toBe(readFileSync(join(src.dataDir, "vapid.json"), "utf8").trim());
    const events = readFileSync(join(first, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(events.some((e) => e.kind === "edit")).toBe(true);
    expect(events.some((e) => e.kind === "message" && e.deletedAt !== null && e.body === null)).toBe(true); // the tombstone
    const users = readFileSync(join(first, "users.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(users.every((u) => u.passwordHash !== undefined)).toBe(true);
    for (const f of [...readdirSync(first), ...readdirSync(join(first, BLOB_DIR)).map((f) => join(BLOB_DIR, f))]) {
      const mode = statSync(join(first, f)).mode & 0o777;
      expect({ f, mode }).toEqual({ f, mode: f === BLOB_DIR ? 0o700 : 0o600 });
    }
    // Never into a directory that holds something.
    const again = parley("export", "--data", src.dataDir, first);
    expect(again.code).toBe(1);
    expect(again.err).toContain("is not empty");
  }, 60_000);

  test("EXPORT-2 import into PostgreSQL, then export from there: the same rows and bytes (events in the same order); a second import is refused and changes nothing", async () => {
    const r = parley("import", "--db", pg.url, "--data", join(dir, "pg-node"), first);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    const out = parley("export", "--db", pg.url, "--data", join(dir, "pg-node"), second);
    expect({ code: out.code, err: out.err }).toEqual({ code: 0, err: "" });
    expect(contents(second)).toEqual(contents(first));
    const refused = parley("import", "--db", pg.url, first);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/already holds data \(\d+ users, \d+ rooms, .*\): import copies into an empty database only and never merges/);
    const third = join(dir, "after-refusal");
    expect(parley("export", "--db", pg.url, "--data", join(dir, "pg-node"), third).code).toBe(0);
    expect(contents(third)).toEqual(contents(first));
  }, 60_000);

  test("EXPORT-3 back into a new libSQL data directory: a server there answers every request as the original did; old passwords log in; the deactivated account stays out", async () => {
    const r = parley("import", "--data", back, second);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    expect(statSync(back).mode & 0o777).toBe(0o700);
    const s = await startServer({ dataDir: back });
    cleanup.push(() => s.stop());
    const sessions = await loginAll(s.url);
    expect(sessions.every((x) => x.accessToken)).toBe(true);
    expect((await api(s.url, "POST", "/api/auth/login", { username: users[4].user.username, password: PASSWORD })).status).not.toBe(200);
    const now = await observe(s.url, sessions);
    expect(Object.keys(now).sort()).toEqual(Object.keys(seen).sort());
    for (const k of Object.keys(seen)) expect({ k, v: now[k] }).toEqual({ k, v: seen[k] });
    expect(readFileSync(join(back, "vapid.json"), "utf8").trim()).toBe(readFileSync(join(src.dataDir, "vapid.json"), "utf8").trim());

    // The log continues where it was, and a resend of an old clientMsgId is still recognised.
    const general = rooms[0];
    const last = ((seen[`rooms:${users[0].user.username}`] as any[]).find((x) => x.id === general)).lastSeq;
    const c = await Client.connect(s, sessions[0]);
    expect((await say(c, general, "first message after the move")).seq).toBe(last + 1);
    const resend = await c.request({ type: "send", room: keyed.room, clientMsgId: keyed.clientMsgId, body: keyed.body });
    expect(resend).toMatchObject({ type: "ok", event: { seq: keyed.seq } });
    c.close();
    // Never into a database a server is using.
    const busy = parley("import", "--data", back, second);
    expect(busy.code).toBe(1);
    expect(busy.err).toContain("is open in a running server (or another parley command): stop it, then import");
  }, 60_000);

  test("EXPORT-4 bad input: a directory without a manifest, a truncated table file, a database at an older schema, a missing argument", () => {
    const empty = join(dir, "not-an-export");
    expect(parley("export", "--data", join(dir, "nothing-here"), empty).err).toContain("no database at");
    const noManifest = parley("import", "--data", join(dir, "d1"), dir);
    expect(noManifest.code).toBe(1);
    expect(noManifest.err).toContain("has no manifest.json");
    const cut = join(dir, "cut");
    expect(parley("export", "--data", back, cut).code).toBe(0);
    const ev = readFileSync(join(cut, "events.jsonl"), "utf8").split("\n");
    writeFileSync(join(cut, "events.jsonl"), ev.slice(0, 5).join("\n") + "\n");
    const r = parley("import", "--data", join(dir, "d2"), cut);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/events\.jsonl has 5 rows, the manifest says \d+: the export is incomplete; the target was emptied again/);
    expect(parley("import", "--data", join(dir, "d2"), first).code).toBe(0); // emptied, so it can run again
    // A database at an older schema is not read (export never migrates one a running server may use).
    const older = join(dir, "older");
    expect(parley("migrate", "--data", older).code).toBe(0);
    const db = new Database(join(older, "parley.db"));
    db.exec("DELETE FROM parley_migrations WHERE tag = (SELECT max(tag) FROM parley_migrations)");
    db.close();
    const stale = parley("export", "--data", older, join(dir, "older-export"));
    expect(stale.code).toBe(1);
    expect(stale.err).toContain("older schema (1 migration(s) pending): run parley migrate");
    expect(parley("import").code).toBe(2);
    expect(parley("export", "a", "b").code).toBe(2);
  }, 60_000);
});
