// PostgreSQL-only guarantees: several processes appending to one database, and migrations run by nodes starting together.

import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { MIGRATIONS } from "../../db/migrations-pg.gen";
import type { MessageEvent } from "../../protocol/types";
import type { Appended, NewEvent, Store } from "../../ports/store";
import { pgDatabase } from "../../test/cluster";
import { createPostgresStore } from "./postgres";

// Small pools: Bun.sql opens every connection of a pool at once, and this PostgreSQL is shared.
const POOL = "?max=3";
const TEST_TIMEOUT_MS = 60_000;

/** A fresh database (fails loudly when PostgreSQL is unreachable), given to `run`, dropped after. */
async function withDatabase(run: (url: string) => Promise<void>) {
  const db = await pgDatabase("parley_t_");
  try {
    await run(db.url + POOL);
  } finally {
    await db.drop();
  }
}

const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
const ROOM_COUNT = 5;
const EVENTS_PER_INSTANCE = 500;
const SHARED_KEYS = 120;
const MAX_BATCH = 40;
const SAME_KEY_ROUNDS = 40;

describe("postgres store, several processes", () => {
  test("PG-1 two instances appending concurrently into the same rooms: every room gapless 1..N, every (sender, clientMsgId) stored exactly once", async () => {
    await withDatabase(async (url) => {
      const a = await createPostgresStore(url);
      const b = await createPostgresStore(url);
      try {
        await a.migrate();
        await b.migrate();
        const senders = ["alice", "bob", "carol"];
        const rooms = Array.from({ length: ROOM_COUNT }, (_, i) => `room${i}`);
        const at = Date.now();
        await a.append(rooms.map((id) => ({
          room: id, kind: "member", sender: "alice", ts: at, data: { userId: "alice", change: "join" },
          effects: [{ type: "room.create", room: { id, name: id, kind: "public", topic: "", createdBy: "alice", createdAt: at, lastActivity: at, dmKey: null, slowModeSec: 0 } }],
        }) satisfies NewEvent));
        // Keys both instances send at the same time (each in a room of its own choosing, so the
        // duplicate is found under the room locks or through the unique index), and keys of one only.
        const shared = Array.from({ length: SHARED_KEYS }, (_, i) => ({ sender: pick(senders), key: `shared-${i}` }));
        const stream = (tag: string): NewEvent[] => {
          const own = Array.from({ length: EVENTS_PER_INSTANCE - SHARED_KEYS }, (_, i) => ({ sender: pick(senders), key: `${tag}-${i}` }));
          const all = [...shared, ...own].sort(() => Math.random() - 0.5);
          return all.map(({ sender, key }) => ({ room: pick(rooms), kind: "message", sender, ts: Date.now(), msgId: `${tag}:${key}`, clientMsgId: key, body: `${tag} ${key}` }));
        };
        const run = async (store: Store, events: NewEvent[]) => {
          const out: Appended[] = [];
          for (let i = 0; i < events.length; ) {
            const n = 1 + Math.floor(Math.random() * MAX_BATCH);
            out.push(...(await store.append(events.slice(i, i + n))));
            i += n;
          }
          return out;
        };
        const [ea, eb] = [stream("a"), stream("b")];
        const [oa, ob] = await Promise.all([run(a, ea), run(b, eb)]);

        // Every room: seqs 1..N without a hole, and both instances agree on N.
        let messages: MessageEvent[] = [];
        for (const room of rooms) {
          const h = (await a.events(room, { after: 0, limit: 10_000 })).events;
          expect(h.map((e) => e.seq)).toEqual(h.map((_, i) => i + 1));
          expect([await a.lastSeq(room), await b.lastSeq(room)]).toEqual([h.length, h.length]);
          messages = messages.concat(h.filter((e): e is MessageEvent => e.kind === "message"));
        }
        // Every key exactly once in the log; each shared key new through one instance, a duplicate through the other.
        const keys = messages.map((m) => `${m.sender}/${m.clientMsgId}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.length).toBe(2 * EVENTS_PER_INSTANCE - SHARED_KEYS);
        const result = (events: NewEvent[], out: Appended[]) => new Map(events.map((e, i) => [e.clientMsgId!, out[i]]));
        const [ra, rb] = [result(ea, oa), result(eb, ob)];
        for (const { key } of shared) {
          const [x, y] = [ra.get(key)!, rb.get(key)!];
          expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
          expect([x.event.room, x.event.seq]).toEqual([y.event.room, y.event.seq]);
        }
        expect([...ra.values(), ...rb.values()].filter((r) => !r.duplicate)).toHaveLength(keys.length);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }, TEST_TIMEOUT_MS);
});

describe("postgres store, same keys at once", () => {
  test("PG-2 one (sender, clientMsgId) sent through both instances at the same moment into different rooms: stored once, the other gets it as a duplicate", async () => {
    await withDatabase(async (url) => {
      const a = await createPostgresStore(url);
      const b = await createPostgresStore(url);
      try {
        await a.migrate();
        await b.migrate();
        const at = Date.now();
        const room = (id: string): NewEvent => ({
          room: id, kind: "member", sender: "alice", ts: at, data: { userId: "alice", change: "join" },
          effects: [{ type: "room.create", room: { id, name: id, kind: "public", topic: "", createdBy: "alice", createdAt: at, lastActivity: at, dmKey: null, slowModeSec: 0 } }],
        });
        await a.append([room("left"), room("right")]);
        const send = (store: Store, roomId: string, key: string) =>
          store.append([{ room: roomId, kind: "message", sender: "alice", ts: Date.now(), msgId: `${roomId}:${key}`, clientMsgId: key, body: key }]);
        for (let i = 0; i < SAME_KEY_ROUNDS; i++) {
          // Different rooms take different locks: the two transactions meet only at the key's unique index.
          const [[x], [y]] = await Promise.all([send(a, "left", `k${i}`), send(b, "right", `k${i}`)]);
          expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
          expect([y.event.room, y.event.seq, (y.event as MessageEvent).msgId]).toEqual([x.event.room, x.event.seq, (x.event as MessageEvent).msgId]);
        }
        const stored = [...(await a.events("left", { after: 0, limit: 1000 })).events, ...(await a.events("right", { after: 0, limit: 1000 })).events]
          .filter((e) => e.kind === "message");
        expect(stored).toHaveLength(SAME_KEY_ROUNDS);
        for (const r of ["left", "right"]) {
          const seqs = (await b.events(r, { after: 0, limit: 1000 })).events.map((e) => e.seq);
          expect(seqs).toEqual(seqs.map((_, i) => i + 1));
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }, TEST_TIMEOUT_MS);
});

describe("postgres store, migrations", () => {
  test("PG-3 three nodes migrating an empty database at the same moment apply each migration exactly once", async () => {
    await withDatabase(async (url) => {
      // A last migration that counts its runs: applied twice, it would leave two rows.
      const counted = [...MIGRATIONS, { tag: "9999_count_runs", sql: "CREATE TABLE runs (n int)\n--> statement-breakpoint\nINSERT INTO runs VALUES (1)" }];
      const nodes = await Promise.all([1, 2, 3].map(() => createPostgresStore(url, { migrations: counted })));
      try {
        await Promise.all(nodes.map((n) => n.migrate()));
        const check = new SQL(url);
        try {
          expect((await check`SELECT count(*)::int AS n FROM runs`)[0].n).toBe(1);
          const tags = (await check`SELECT tag FROM parley_migrations ORDER BY tag`).map((r: { tag: string }) => r.tag);
          expect(tags).toEqual(counted.map((m) => m.tag));
        } finally {
          await check.close();
        }
        // And the database works: a node migrating again later changes nothing.
        await nodes[0].migrate();
        expect(await nodes[1].lastSeq("nowhere")).toBe(0);
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
      }
    });
  }, TEST_TIMEOUT_MS);

  test("PG-4 a binary older than the database (a migration it does not know) refuses to start, and changes nothing", async () => {
    await withDatabase(async (url) => {
      const newer = await createPostgresStore(url);
      const older = await createPostgresStore(url, { migrations: MIGRATIONS.slice(0, -1) });
      try {
        await newer.migrate();
        const unknown = MIGRATIONS.at(-1)!.tag;
        await expect(older.migrate()).rejects.toThrow(`database schema is newer than this parley binary (unknown migration ${unknown}); upgrade the binary`);
        // The lock was released: the newer binary still migrates (nothing to do).
        await newer.migrate();
      } finally {
        await Promise.all([newer.close(), older.close()]);
      }
    });
  }, TEST_TIMEOUT_MS);
});
