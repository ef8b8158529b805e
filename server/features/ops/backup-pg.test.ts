// parley backup / restore on PostgreSQL: a backup taken from a serving PostgreSQL store (users, rooms,
// messages, uploads in upload_blobs) restores into a new PostgreSQL database row for row (BACKUP-PG-n).

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, Client, createRoom, register, startServer, tempDir, type Session, runParley } from "../../test/harness";
import { pgDatabase } from "../../test/cluster";
import { dumpRows } from "./dump-rows";

const PASSWORD = "correct horse battery";
const dir = tempDir("parley-backup-pg-");
const cleanup: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
});

const parley = runParley;
async function upload(base: string, who: Session, room: string, text: string): Promise<string> {
  const fd = new FormData();
  fd.append("file", new Blob([text], { type: "text/plain" }), "note.txt");
  const res = await fetch(`${base}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${who.accessToken}` } });
  const body = (await res.json()) as any;
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
  return body.upload.id;
}
/** Who holds a background job's lease changes by itself while a server runs: not data. */
const data = (d: Record<string, unknown[]>) => Object.fromEntries(Object.entries(d).filter(([t]) => t !== "leases"));

describe("parley backup and restore on PostgreSQL", () => {
  const file = join(dir, "pg-backup.db");
  const bytes = "the lunch menu, as a file: 日本語";
  let source: string, restored: string;
  let alice: Session, room: string, uploadId: string, history: unknown;
  let before: Record<string, unknown[]>;

  test("BACKUP-PG-1 a serving PostgreSQL store is backed up into one owner-only libSQL file with every table, upload bytes included; an existing file is refused", async () => {
    const pg = await pgDatabase("parley_bkp_");
    cleanup.push(() => pg.drop());
    source = pg.url + "?max=4";
    const s = await startServer({ config: { databaseUrl: source } });
    cleanup.push(() => s.stop());
    alice = await register(s.url, undefined, PASSWORD);
    const bob = await register(s.url, undefined, PASSWORD);
    room = await createRoom(s.url, alice, "public", "kept");
    expect((await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
    uploadId = await upload(s.url, alice, room, bytes);
    const [a, b] = await Promise.all([Client.connect(s, alice), Client.connect(s, bob)]);
    for (let i = 0; i < 40; i++) expect((await [a, b][i % 2].request({ type: "send", room, clientMsgId: `m${i}`, body: `message ${i}`, ...(i === 0 ? { attachments: [uploadId] } : {}) })).type).toBe("ok");
    a.close();
    b.close();
    history = (await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, alice.accessToken)).body;
    before = data(await dumpRows(source));

    // Taken while the server keeps serving.
    const r = parley("backup", "--db", source, file);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    expect(r.out).toContain(`backup written to ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.startsWith("pg-backup.db"))).toEqual(["pg-backup.db"]); // the file alone holds it all
    const copy = data(await dumpRows("file:" + file));
    for (const t of ["users", "rooms", "members", "events", "uploads", "upload_blobs"]) expect(before[t]?.length ?? 0).toBeGreaterThan(0);
    expect(Object.keys(copy).sort()).toEqual(Object.keys(before).sort());
    for (const t of Object.keys(before)) expect({ table: t, rows: copy[t] }).toEqual({ table: t, rows: before[t] });
    expect((copy.upload_blobs as { id: string; bytes: string }[]).map((x) => [x.id, x.bytes])).toEqual([[uploadId, Buffer.from(bytes).toString("hex")]]);

    const again = parley("backup", "--db", source, file);
    expect({ code: again.code, err: again.err.trim() }).toEqual({ code: 1, err: `parley backup: ${file} already exists` });
    await s.stop();
  }, 60_000);

  test("BACKUP-PG-2 restore into a new PostgreSQL database: row for row the same; a server there logs in, has the history and serves the upload's bytes", async () => {
    const pg = await pgDatabase("parley_rst_");
    cleanup.push(() => pg.drop());
    restored = pg.url + "?max=4";
    const r = parley("restore", "--db", restored, file);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    expect(r.out).toContain(`restored ${file} into`);
    expect(r.out).toContain("uploads: 1 upload rows, 1 with their bytes in upload_blobs");
    const after = data(await dumpRows(restored));
    for (const t of Object.keys(before)) expect({ table: t, rows: after[t] }).toEqual({ table: t, rows: before[t] });

    const t = await startServer({ config: { databaseUrl: restored } });
    cleanup.push(() => t.stop());
    const login = await api<Session>(t.url, "POST", "/api/auth/login", { username: alice.user.username, password: PASSWORD });
    expect(login.status).toBe(200);
    expect((await api(t.url, "GET", `/api/rooms/${room}/messages`, undefined, login.body.accessToken)).body).toEqual(history);
    const got = await fetch(`${t.url}/api/uploads/${uploadId}`, { headers: { authorization: `Bearer ${login.body.accessToken}` } });
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(bytes);
    await t.stop();
  }, 60_000);

  test("BACKUP-PG-3 restore refuses a database that holds data (nothing changes) and a file that is no backup", async () => {
    const held = await dumpRows(restored);
    const r = parley("restore", "--db", restored, file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^parley restore: .*already holds data \([\d,]+ users, [\d,]+ rooms.*restore copies into an empty database only and never merges/);
    expect(await dumpRows(restored)).toEqual(held);

    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not a database ".repeat(100));
    const j = parley("restore", "--db", restored, junk);
    expect({ code: j.code, err: j.err }).toEqual({ code: 1, err: expect.stringContaining("is not a database") });
    expect(existsSync(file)).toBe(true);
  }, 60_000);
});
