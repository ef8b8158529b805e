// The process as users run it: --help, config errors, SIGTERM with sends in flight, the compiled binary.

import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import Database from "libsql";
import { join } from "node:path";
import { buildBinary } from "./build";
import { SETTINGS } from "./config";
import { Client, api, createRoom, register, spawnServer, startServer, tempDir } from "./test/harness";

const MAIN = join(import.meta.dir, "main.ts");
const readlinkSafe = (p: string) => {
  try {
    return readlinkSync(p);
  } catch {
    return "";
  }
};
const FAST = ["--host", "127.0.0.1", "--port", "0", "--hash-memory", "4096", "--hash-time", "1", "--registration", "open", "--write-burst", "100000", "--write-rate", "100000"];

describe("process", () => {
  test("PROC-1 --help lists every setting with its flag, env and default", async () => {
    const p = Bun.spawnSync([process.execPath, MAIN, "--help"]);
    const out = p.stdout.toString();
    expect(p.exitCode).toBe(0);
    for (const s of SETTINGS) {
      expect(out).toContain(s.flag);
      expect(out).toContain(s.env);
    }
  });

  test("PROC-2 a bad setting exits 2 with a clear message; bench mode off loopback is refused", async () => {
    const bad = Bun.spawnSync([process.execPath, MAIN, "--port", "nope"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("--port");
    const bench = Bun.spawnSync([process.execPath, MAIN, "--bench-mode", "--host", "0.0.0.0"]);
    expect(bench.exitCode).toBe(2);
    expect(bench.stderr.toString()).toContain("loopback");
    const unknown = Bun.spawnSync([process.execPath, MAIN, "--frobnicate"]);
    expect(unknown.exitCode).toBe(2);
  });

  test("PROC-3 SIGTERM with sends in flight: exit 0, sockets closed 1012, every acked message is stored after restart", async () => {
    const data = tempDir();
    const srv = await spawnServer([process.execPath, MAIN, ...FAST, "--data", data]);
    const u = await register(srv.url);
    const room = await createRoom(srv.url, u);
    const c = await Client.connect(srv, u);
    const N = 2000;
    for (let i = 0; i < N; i++) c.send({ type: "send", id: `s${i}`, room, clientMsgId: `k${i}`, body: `m${i}` });
    await c.next((f) => f.type === "ok" && f.id === "s20");
    srv.proc.kill("SIGTERM");
    const closed = await c.closed;
    expect(closed.code).toBe(1012);
    expect(await srv.proc.exited).toBe(0);
    const acked = c.frames.filter((f) => f.type === "ok").map((f) => f.event.clientMsgId as string);
    expect(acked.length).toBeGreaterThan(20);
    const again = await spawnServer([process.execPath, MAIN, ...FAST, "--data", data]);
    try {
      const stored = new Set<string>();
      let after = 0;
      for (;;) {
        const h = await api(again.url, "GET", `/api/rooms/${room}/messages?after=${after}&limit=200`, undefined, u.accessToken);
        for (const e of h.body.events) if (e.kind === "message") stored.add(e.clientMsgId);
        if (!h.body.hasMore) break;
        after = h.body.events.at(-1).seq;
      }
      for (const k of acked) expect(stored.has(k)).toBe(true);
    } finally {
      again.proc.kill("SIGTERM");
      await again.proc.exited;
    }
  });

  test("PROC-6 a lock held by another process when the server starts is waited for, not a failed start", async () => {
    const data = tempDir();
    const first = await spawnServer([process.execPath, MAIN, ...FAST, "--data", data]);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
    // Another process holds the database's lock (a backup, a checker, a connection SQLite is closing:
    // REL-CRASH-1 once met the last) while the server opens it.
    const other = new Database(join(data, "parley.db"));
    other.exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; SELECT count(*) FROM users");
    const starting = spawnServer([process.execPath, MAIN, ...FAST, "--data", data]);
    const failed = starting.then(() => false, () => true);
    // Held until the server has the file open, and a moment (a lock's holder's own pace) beyond.
    const opened = () => {
      for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(data) && readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSafe(`/proc/${pid}/fd/${fd}`).endsWith("parley.db"))) return true;
        } catch {}
      }
      return false;
    };
    while (!opened() && !(await Promise.race([failed, Bun.sleep(20).then(() => false)]))) {}
    const diedWhileLocked = await Promise.race([failed, Bun.sleep(300).then(() => false)]);
    other.exec("COMMIT; PRAGMA locking_mode=NORMAL; SELECT 1");
    other.close();
    expect(diedWhileLocked).toBe(false);
    const srv = await starting;
    try {
      expect((await register(srv.url)).accessToken).toBeTruthy();
    } finally {
      srv.proc.kill("SIGTERM");
      expect(await srv.proc.exited).toBe(0);
    }
  });

  test("PROC-4 the compiled binary runs alone in an empty directory, keeps data in ./data, and chats", async () => {
    const dir = tempDir("parley-bin-");
    const bin = await buildBinary(join(dir, "parley"));
    const srv = await spawnServer([bin, "--host", "127.0.0.1", "--port", "0", "--hash-memory", "4096", "--hash-time", "1", "--registration", "open"], { PATH: "/usr/bin:/bin" }, dir);
    try {
      const a = await register(srv.url);
      const b = await register(srv.url);
      const room = await createRoom(srv.url, a);
      await api(srv.url, "POST", `/api/rooms/${room}/join`, undefined, b.accessToken);
      const ca = await Client.connect(srv, a);
      const cb = await Client.connect(srv, b);
      const ok = await ca.request({ type: "send", room, clientMsgId: "bin-1", body: "from the binary" });
      expect(ok.type).toBe("ok");
      expect((await cb.next((f) => f.type === "event" && f.event.clientMsgId === "bin-1")).event.body).toBe("from the binary");
      const page = await fetch(srv.url + "/");
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      ca.close();
      cb.close();
    } finally {
      srv.proc.kill("SIGTERM");
      expect(await srv.proc.exited).toBe(0);
    }
    expect(statSync(join(dir, "data", "parley.db")).isFile()).toBe(true);
    // The benchmark ships inside the binary too.
    const bench = Bun.spawnSync([bin, "bench", "--help"], { cwd: dir });
    expect(bench.exitCode).toBe(0);
    expect(bench.stdout.toString()).toContain("--scenario");
    expect(existsSync(join(dir, "data", "jwt.secret"))).toBe(true);
  }, 120_000);
});

describe("operations", () => {
  test("OPS-1 /healthz, /readyz and Prometheus /metrics", async () => {
    const s = await startServer();
    try {
      expect((await api(s.url, "GET", "/healthz")).body.status).toBe("ok");
      expect((await api(s.url, "GET", "/readyz")).status).toBe(200);
      const u = await register(s.url);
      const c = await Client.connect(s, u);
      await c.request({ type: "ping" });
      const m = await fetch(s.url + "/metrics");
      expect(m.headers.get("content-type")).toContain("text/plain");
      const text = await m.text();
      expect(text).toContain("parley_sockets 1");
      expect(text).toContain('parley_ws_frames_in_total{type="ping"} 1');
      expect(text).toMatch(/process_resident_memory_bytes \d+/);
      c.close();
    } finally {
      await s.stop();
    }
  });
});

describe("backup", () => {
  test("PROC-5 parley backup copies the database while the server runs; a server on the copy has the messages", async () => {
    const data = tempDir();
    const srv = await spawnServer([process.execPath, MAIN, ...FAST, "--data", data]);
    const copyDir = tempDir();
    let user: { username: string };
    let roomId: string;
    try {
      const u = await register(srv.url);
      user = u.user;
      const room = (roomId = await createRoom(srv.url, u));
      const c = await Client.connect(srv, u);
      for (let i = 0; i < 20; i++) await c.request({ type: "send", room, clientMsgId: `b${i}`, body: `backed up ${i}` });
      const out = join(copyDir, "parley.db");
      const b = Bun.spawnSync([process.execPath, MAIN, "backup", "--data", data, out]);
      expect(b.exitCode).toBe(0);
      expect(Bun.spawnSync([process.execPath, MAIN, "backup", "--data", data, out]).exitCode).toBe(1); // never overwrites
      c.close();
    } finally {
      srv.proc.kill("SIGTERM");
      await srv.proc.exited;
    }
    const restored = await spawnServer([process.execPath, MAIN, ...FAST, "--data", copyDir]);
    try {
      // A new data dir has a new signing secret: log in again with the password.
      const login = await api(restored.url, "POST", "/api/auth/login", { username: user.username, password: "correct horse battery" });
      expect(login.status).toBe(200);
      const h = await api(restored.url, "GET", `/api/rooms/${roomId}/messages?limit=50`, undefined, login.body.accessToken);
      expect(h.body.events.filter((e: any) => e.kind === "message").map((e: any) => e.body)).toEqual(Array.from({ length: 20 }, (_, i) => `backed up ${i}`));
    } finally {
      restored.proc.kill("SIGTERM");
      await restored.proc.exited;
    }
  });
});

describe("web client", () => {
  test("WEB-1 hashed assets are cached as immutable; client routes fall back to index.html with the CSP", async () => {
    const s = await startServer();
    try {
      const index = await fetch(s.url + "/rooms/some-room");
      expect(index.headers.get("content-type")).toContain("text/html");
      expect(index.headers.get("cache-control")).toBe("no-cache");
      expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
      const script = (await index.text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
      expect(script).toBeDefined();
      const js = await fetch(s.url + script);
      expect(js.status).toBe(200);
      expect(js.headers.get("cache-control")).toContain("immutable");
    } finally {
      await s.stop();
    }
  });

  test("WEB-2 the installable app's files have their types; POST /share without a service worker opens the app without reading the body", async () => {
    const s = await startServer();
    try {
      const manifest = await fetch(s.url + "/manifest.webmanifest");
      expect(manifest.headers.get("content-type")).toStartWith("application/manifest+json");
      expect(((await manifest.json()) as { share_target: { action: string } }).share_target.action).toBe("/share");
      const sw = await fetch(s.url + "/sw.js");
      expect(sw.headers.get("cache-control")).toBe("no-cache");
      expect(sw.headers.get("content-security-policy")).toContain("default-src 'self'"); // covers worker-src and manifest-src
      const form = new FormData();
      form.append("text", "hello");
      form.append("files", new File(["x"], "x.txt", { type: "text/plain" }));
      // Multipart, malformed, empty, and no session at all: the same redirect, the body never read.
      for (const body of [form, "--not-a-boundary\r\n\r\n", undefined]) {
        const r = await fetch(s.url + "/share", { method: "POST", body, redirect: "manual", headers: body === form ? {} : { "content-type": "multipart/form-data; boundary=zz" } });
        expect(r.status).toBe(303);
        expect(r.headers.get("location")).toBe("/");
      }
      // Oversized: refused before it reaches the route, like every other request body.
      const big = await fetch(s.url + "/share", { method: "POST", body: new Uint8Array(40 * 1024 * 1024), redirect: "manual" });
      expect([303, 413]).toContain(big.status);
      // GET /share is just a client route.
      expect((await fetch(s.url + "/share")).headers.get("content-type")).toContain("text/html");
    } finally {
      await s.stop();
    }
  });
});
