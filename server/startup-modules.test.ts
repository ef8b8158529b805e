// Start-up memory without timing: what the server loads when it starts with the embedded defaults
// (libSQL file, in-process bus). Each module named here is imported only by the command or setting
// that needs it (docs/benchmarks.md, "Start-up memory"); RSS itself is measured there, never in a test.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pgDatabase } from "./test/cluster";
import { spawnServer, tempDir } from "./test/harness";

const MAIN = join(import.meta.dir, "main.ts");
const PRELOAD = join(import.meta.dir, "test/loaded-modules.ts");

/** Started, listening, stopped with SIGTERM: the modules it loaded on the way. */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const dir = tempDir();
  const list = join(dir, "modules.txt");
  const s = await spawnServer([process.execPath, "--preload", PRELOAD, MAIN, "--host", "127.0.0.1", "--port", "0", "--data", join(dir, "data"), ...args], { PARLEY_LOADED_MODULES: list });
  s.proc.kill("SIGTERM");
  expect(await s.proc.exited).toBe(0);
  return readFileSync(list, "utf8").split("\n");
}

/** Loaded only by a command (bench, backup, migrate-store, the admin and ops commands) or a setting (PostgreSQL, Redis, NATS, SMTP, a push sent). */
const LAZY: [string, RegExp][] = [
  ["the bench tool", /\/bench\//],
  ["the PostgreSQL store", /server\/adapters\/store\/postgres/],
  // Its pg-core is loaded whatever the dialect (drizzle-orm's relations.js imports it); the driver is not.
  ["drizzle's Bun.SQL driver", /node_modules\/drizzle-orm\/bun-sql\//],
  ["the Redis bus and rate limits", /server\/adapters\/(bus|rate-limit)\/redis|node_modules\/ioredis\//],
  ["the NATS bus", /server\/adapters\/bus\/nats|node_modules\/nats\//],
  ["web-push", /node_modules\/web-push\//],
  ["nodemailer", /node_modules\/nodemailer\//],
  ["oauth4webapi (single sign-on)", /node_modules\/oauth4webapi\//],
  ["the operator commands", /server\/features\/ops\/(backup|migrate-store|admin-cli|commands|export|import|restore|doctor)\.ts$/],
];

describe("start-up modules", () => {
  test("MEM-1 the server on its defaults loads no bench, PostgreSQL, Redis, NATS, web-push, mail, single sign-on or command module", async () => {
    const loaded = await modulesLoadedBy([]);
    expect(loaded.some((m) => m.endsWith("server/adapters/store/libsql.ts"))).toBe(true); // the list is real
    for (const [what, re] of LAZY) expect({ what, loaded: loaded.filter((m) => re.test(m)) }).toEqual({ what, loaded: [] });
  });

  test("MEM-2 PostgreSQL and Redis settings load their adapters when named", async () => {
    const db = await pgDatabase("parley_mem_");
    try {
      const loaded = await modulesLoadedBy(["--db", db.url + "?max=4", "--bus", "redis://127.0.0.1:6379"]);
      for (const m of ["server/adapters/store/postgres.ts", "server/adapters/bus/redis.ts", "server/adapters/rate-limit/redis.ts"]) {
        expect(loaded.some((l) => l.endsWith(m))).toBe(true);
      }
    } finally {
      await db.drop();
    }
  });
});
