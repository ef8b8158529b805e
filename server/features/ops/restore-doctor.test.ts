// parley restore, migrate and doctor against real data directories and a running server (RESTORE-n, MIGRATE-n, DOCTOR-n).

import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { api, createRoom, register, serverCommand, spawnServer, tempDir, runParley } from "../../test/harness";
import { pgDatabase } from "../../test/cluster";

const PASSWORD = "correct horse battery";
const dir = tempDir("parley-restore-");
const cleanup: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => undefined);
});

const parley = runParley;
/** A server in a child process (restore must see another process hold the file). */
async function serve(data: string) {
  const s = await spawnServer([...(await serverCommand()), "--data", data, "--port", "0", "--host", "127.0.0.1", "--registration", "open", "--hash-memory", "4096", "--hash-time", "1"], { DATABASE_URL: "" });
  return { ...s, stop: async () => { s.proc.kill("SIGTERM"); await s.proc.exited; } };
}
const lines = (out: string) => Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(6, 23).trim(), l.slice(0, 5).trim()]));

describe("parley restore", () => {
  const live = join(dir, "live");
  const file = join(dir, "backup.db");
  let room: string;
  let username: string;
  let running: Awaited<ReturnType<typeof serve>>;

  test("RESTORE-1 a backup taken while serving restores into a new data directory; a server there has the same rooms and history", async () => {
    const s = (running = await serve(live));
    cleanup.push(() => s.stop());
    const alice = await register(s.url, undefined, PASSWORD);
    username = alice.user.username;
    room = await createRoom(s.url, alice, "public", "kept");
    const b = parley("backup", "--data", live, file);
    expect({ code: b.code, err: b.err }).toEqual({ code: 0, err: "" });
    const history = (await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, alice.accessToken)).body;

    const fresh = join(dir, "fresh");
    const r = parley("restore", "--data", fresh, file);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    expect(r.out).toContain(`restored ${file} into ${join(fresh, "parley.db")}`);
    const t = await serve(fresh);
    cleanup.push(() => t.stop());
    const login = await api(t.url, "POST", "/api/auth/login", { username, password: PASSWORD });
    expect(login.status).toBe(200);
    expect((await api(t.url, "GET", `/api/rooms/${room}/messages`, undefined, login.body.accessToken)).body).toEqual(history);
    await t.stop();
  }, 60_000);

  test("RESTORE-2 refused while a server holds the database (nothing changes); after the stop it replaces it and keeps the old one aside", async () => {
    const before = readdirSync(live).sort();
    const refused = parley("restore", "--data", live, file);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("is open in a running server (or another parley command): stop it, then restore");
    expect(readdirSync(live).sort()).toEqual(before);

    await running.stop();
    const r = parley("restore", "--data", live, file);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
    const aside = readdirSync(live).filter((f) => f.startsWith("parley.db.before-restore-"));
    expect(aside).toHaveLength(1);
    expect(r.out).toContain(`kept as ${join(live, aside[0])}`);
    expect(readdirSync(live).filter((f) => /^parley\.db-(wal|shm)$/.test(f))).toEqual([]); // the old WAL went into the file set aside
    const t = await serve(live);
    cleanup.push(() => t.stop());
    expect((await api(t.url, "POST", "/api/auth/login", { username, password: PASSWORD })).status).toBe(200);
  }, 60_000);

  test("RESTORE-3 not a backup: a missing file, a file that is no database (restore into PostgreSQL: backup-pg.test.ts)", async () => {
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not a database ".repeat(100));
    const target = join(dir, "t3");
    expect(parley("restore", "--data", target, join(dir, "missing.db")).err).toContain("no backup at");
    const r = parley("restore", "--data", target, junk);
    expect(r.code).toBe(1);
    expect(r.err).toContain("is not a database");
    expect(existsSync(join(target, "parley.db"))).toBe(false);
    expect(parley("restore").code).toBe(2);
  });
});

describe("parley migrate and doctor", () => {
  test("MIGRATE-1 migrate on a new data directory applies every migration and exits; again it applies none", () => {
    const d = join(dir, "m");
    const first = parley("migrate", "--data", d);
    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: "" });
    expect(first.out).toMatch(/^(\d+) migration\(s\) applied; the schema is at \S+ \((\d+) of \2\)/);
    expect(parley("migrate", "--data", d).out).toMatch(/^0 migration\(s\) applied/);
  });

  test("DOCTOR-1 a healthy data directory: every check ok, exit 0", () => {
    const d = join(dir, "m");
    const r = parley("doctor", "--data", d);
    expect(r.code).toBe(0);
    expect(lines(r.out)).toEqual({ configuration: "ok", "data directory": "ok", "file permissions": "ok", "free disk": "ok", database: "ok", migrations: "ok" });
    expect(r.out).toMatch(/integrity_check ok/);
  });

  test("DOCTOR-2 loose permissions warn (exit 0); a damaged database and a bad setting fail (exit 1)", () => {
    const d = join(dir, "m");
    chmodSync(d, 0o755);
    chmodSync(join(d, "parley.db"), 0o644);
    const loose = parley("doctor", "--data", d);
    expect(loose.code).toBe(0);
    expect(lines(loose.out)).toMatchObject({ "data directory": "warn", "file permissions": "warn" });
    expect(loose.out).toContain(`${join(d, "parley.db")} (0644)`);

    const bad = join(dir, "bad");
    mkdirSync(bad, { mode: 0o700 });
    writeFileSync(join(bad, "parley.db"), Buffer.alloc(8192, 7), { mode: 0o600 });
    const broken = parley("doctor", "--data", bad);
    expect(broken.code).toBe(1);
    expect(lines(broken.out).database).toBe("fail");

    const conf = parley("doctor", "--data", d, "--port", "nope");
    expect(conf.code).toBe(1);
    expect(conf.out).toMatch(/^fail\s+configuration\s+--port\/PORT must be a non-negative integer/);
  });

  test("DOCTOR-3 PostgreSQL: reachable and migrated is ok; an address nobody answers on fails", async () => {
    const pg = await pgDatabase("parley_doctor_");
    cleanup.push(() => pg.drop());
    expect(parley("migrate", "--db", pg.url, "--data", join(dir, "pgd")).code).toBe(0);
    const ok = parley("doctor", "--db", pg.url, "--data", join(dir, "pgd"));
    expect(lines(ok.out)).toMatchObject({ database: "ok", migrations: "ok" });
    expect(ok.code).toBe(0);
    const down = parley("doctor", "--db", "postgres://127.0.0.1:1/none", "--data", join(dir, "pgd"));
    expect(down.code).toBe(1);
    expect(lines(down.out)).toMatchObject({ database: "fail", migrations: "fail" });
  }, 60_000);
});
