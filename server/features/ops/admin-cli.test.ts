// `parley invite create` and `parley user …` as processes, against the database of a server that is running.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { api, createRoom, register, startServer, uniqueName, type Session, type TestServer } from "../../test/harness";
import { parseDuration } from "./admin-cli";

const MAIN = join(import.meta.dir, "../../main.ts");
const PASSWORD = "correct horse battery";

let s: TestServer;

beforeAll(async () => {
  s = await startServer({ config: { registration: "invite" } });
});
afterAll(() => s.stop());

/** Runs `parley <args> --data <the server's data dir>` with `stdin`; its exit code and output. */
async function parley(args: string[], stdin = "", env: Record<string, string> = {}) {
  const p = Bun.spawn([process.execPath, MAIN, ...args, "--data", s.dataDir, "--hash-memory", "4096", "--hash-time", "1"], {
    stdin: new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe",
    env: { ...process.env, DATABASE_URL: "", PARLEY_BUS_URL: "", PARLEY_PUBLIC_URL: "", ...env },
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

const login = (username: string, password = PASSWORD) => api(s.url, "POST", "/api/auth/login", { username, password });

describe("admin commands of the binary", () => {
  let boss: Session;

  test("TEAM-40 parley user create: the first account is a server admin; the password comes from stdin; the running server lets it in", async () => {
    const r = await parley(["user", "create", "Boss", "--display-name", "The Boss"], PASSWORD + "\n");
    expect([r.code, r.out.trim()]).toEqual([0, "created boss (server admin)"]);
    const l = await login("boss");
    expect(l.status).toBe(200);
    expect(l.body.user).toMatchObject({ username: "boss", displayName: "The Boss", isAdmin: true });
    boss = l.body;
    const second = await parley(["user", "create", "helper"], PASSWORD);
    expect([second.code, second.out.trim()]).toEqual([0, "created helper"]);
    expect((await parley(["user", "create", "helper"], PASSWORD)).code).toBe(1); // taken
    expect((await parley(["user", "create", "x"], PASSWORD)).code).toBe(2);
    expect((await parley(["user", "create", "shorty"], "short")).code).toBe(2);
  });

  test("TEAM-41 parley invite create prints a link (with --public-url) that signs up into the named room; --uses and --expires hold", async () => {
    const room = await createRoom(s.url, boss, "public", "general-cli");
    const r = await parley(["invite", "create", "--uses", "2", "--expires", "1h", "--room", "General-CLI"], "", { PARLEY_PUBLIC_URL: "https://chat.example.com/" });
    expect(r.code).toBe(0);
    const link = r.out.split("\n")[0];
    expect(link).toMatch(/^https:\/\/chat\.example\.com\/invite\/[A-Za-z0-9_-]{43}$/);
    const code = link.split("/").at(-1)!;
    const invite = (await api(s.url, "GET", "/api/invites", undefined, boss.accessToken)).body.invites.find((i: { code: string }) => i.code === code);
    expect(invite).toMatchObject({ maxUses: 2, uses: 0, rooms: [room], createdBy: boss.user.id });
    const joined = await api(s.url, "POST", "/api/auth/register", { username: uniqueName(), password: PASSWORD, inviteCode: code });
    expect(joined.status).toBe(201);
    expect((await api(s.url, "GET", "/api/rooms", undefined, joined.body.accessToken)).body.rooms.map((x: { id: string }) => x.id)).toEqual([room]);
    const bare = await parley(["invite", "create"]);
    expect(bare.out.split("\n")[0]).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);
    expect(bare.out).toContain("--public-url");
    for (const bad of [["--uses", "0"], ["--uses", "1001"], ["--expires", "5y"], ["--expires", "30s"], ["--expires", "31d"], ["--room", "no such room"]]) {
      expect([bad.join(" "), (await parley(["invite", "create", ...bad])).code]).toEqual([bad.join(" "), 2]);
    }
  });

  test("TEAM-42 parley user passwd sets the password and ends the account's sessions (refresh tokens refused)", async () => {
    const before = await login("helper");
    const r = await parley(["user", "passwd", "helper"], "a new password here\n");
    expect(r.code).toBe(0);
    expect(r.out).toContain("1 session(s) ended");
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: before.body.refreshToken })).status).toBe(401);
    expect((await login("helper")).status).toBe(401);
    expect((await login("helper", "a new password here")).status).toBe(200);
    expect((await parley(["user", "passwd", "nobody"], "whatever123")).code).toBe(2);
  });

  test("TEAM-43 parley user deactivate / reactivate / promote / demote; the last admin cannot be demoted", async () => {
    expect((await parley(["user", "deactivate", "helper"])).code).toBe(0);
    expect((await login("helper", "a new password here")).status).toBe(403);
    expect((await parley(["user", "reactivate", "helper"])).code).toBe(0);
    const h = await login("helper", "a new password here");
    expect(h.status).toBe(200);
    expect((await api(s.url, "GET", "/api/admin/users", undefined, h.body.accessToken)).status).toBe(403);
    expect((await parley(["user", "promote", "helper"])).code).toBe(0);
    expect((await api(s.url, "GET", "/api/admin/users", undefined, h.body.accessToken)).status).toBe(200);
    expect((await parley(["user", "demote", "helper"])).code).toBe(0);
    const last = await parley(["user", "demote", "boss"]);
    expect([last.code, last.err]).toEqual([2, expect.stringContaining("last server admin")]);
    expect((await parley(["user", "frobnicate", "boss"])).code).toBe(2);
    expect((await parley(["user"])).code).toBe(2);
  });

  test("TEAM-44 durations: s, m, h, d or plain seconds", () => {
    expect([parseDuration("90"), parseDuration("90s"), parseDuration("30m"), parseDuration("12h"), parseDuration("7d")]).toEqual([90, 90, 1800, 43200, 604800]);
    expect(() => parseDuration("1w")).toThrow();
    expect(() => parseDuration("")).toThrow();
  });
});
