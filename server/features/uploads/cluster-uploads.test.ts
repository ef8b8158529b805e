// Two real Parley servers on one PostgreSQL database, each with its own data directory: an upload made through one downloads through the other.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pgDatabase, startRedis, type Proc } from "../../test/cluster";
import { api, Client, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

const JWT_SECRET = "cluster-uploads-test-secret-0123456789abcdef";
const KIB = 1024;

// Made at module scope, not in beforeAll: bun 1.4.5's test runner may kill processes a hook spawned.
const [redis, db]: [Proc, { url: string; drop(): Promise<void> }] = await Promise.all([startRedis(), pgDatabase("parley_up_")]);
let a: TestServer, b: TestServer;
let alice: Session, bob: Session;

beforeAll(async () => {
  // No shared volume: startServer gives each node a data directory of its own.
  const config = { busUrl: redis.url, databaseUrl: db.url, jwtSecret: JWT_SECRET };
  a = await startServer({ config }); // one after the other: the first one migrates the shared database
  b = await startServer({ config });
  [alice, bob] = [await register(a.url), await register(b.url)];
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([redis.stop(), db.drop()]);
});

/** A PDF as the sniffer sees one, then bytes of every value: large enough to span many network reads. */
function pdf(size: number): Uint8Array<ArrayBuffer> {
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  bytes.set(new TextEncoder().encode("%PDF-1.7\n"));
  return bytes;
}

async function upload(node: TestServer, room: string, who: Session, bytes: Uint8Array<ArrayBuffer>, name: string) {
  const fd = new FormData();
  fd.append("file", new Blob([bytes]), name);
  const res = await fetch(`${node.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${who.accessToken}` } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { upload: { id: string; filename: string; mime: string; size: number } }).upload;
}

const download = (node: TestServer, id: string, who: Session) => fetch(`${node.url}/api/uploads/${id}`, { headers: { authorization: `Bearer ${who.accessToken}` } });
const SERVED_HEADERS = ["content-type", "content-disposition", "x-content-type-options", "content-security-policy", "cache-control", "cross-origin-resource-policy"];
const headersOf = (r: Response) => SERVED_HEADERS.map((h) => [h, r.headers.get(h)]);

describe("uploads across nodes", () => {
  test("CLUSTER-UP-1 uploaded through node A and sent there, a member on node B gets the message and downloads the file byte-identical, with the same headers", async () => {
    const room = await createRoom(a.url, alice);
    expect((await api(b.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
    const bytes = pdf(3 * KIB * KIB + 5);
    const up = await upload(a, room, alice, bytes, "Quartalsbericht (März).pdf");
    expect(up).toMatchObject({ mime: "application/pdf", size: bytes.byteLength });

    // A draft stays its uploader's on every node: bob cannot open it through B, alice can.
    expect((await download(b, up.id, bob)).status).toBe(404);
    expect((await download(b, up.id, alice)).status).toBe(200);

    const [ca, cb] = await Promise.all([Client.connect(a, alice), Client.connect(b, bob)]);
    const ack = await ca.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: "the report", attachments: [up.id] });
    expect(ack.type).toBe("ok");
    const seen = await cb.next((f) => f.type === "event" && f.event.room === room && f.event.seq === ack.event.seq);
    expect(seen.event.attachments).toEqual([up]);

    const [fromA, fromB] = [await download(a, up.id, bob), await download(b, up.id, bob)];
    expect([fromA.status, fromB.status]).toEqual([200, 200]);
    expect(headersOf(fromB)).toEqual(headersOf(fromA));
    expect(fromB.headers.get("content-disposition")).toStartWith("attachment;");
    const [bodyA, bodyB] = [new Uint8Array(await fromA.arrayBuffer()), new Uint8Array(await fromB.arrayBuffer())];
    expect(bodyB.byteLength).toBe(bytes.byteLength);
    expect(Bun.hash(bodyB)).toBe(Bun.hash(bytes));
    expect(bodyB).toEqual(bytes);
    expect(bodyA).toEqual(bytes);
    // The bytes live in the database: A staged the upload in its uploads directory while it streamed
    // in and kept nothing there; B never wrote one.
    expect(readdirSync(join(a.dataDir, "uploads"))).toEqual([]);
    expect(existsSync(join(b.dataDir, "uploads"))).toBe(false);
    ca.close();
    cb.close();
  });

  test("CLUSTER-UP-2 the message deleted through node B: the download is 404 on both nodes and the bytes are gone from the database", async () => {
    const room = await createRoom(a.url, alice);
    expect((await api(b.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
    const up = await upload(a, room, alice, pdf(200 * KIB), "gone.pdf");
    const ca = await Client.connect(a, alice);
    const ack = await ca.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: "soon gone", attachments: [up.id] });
    expect(ack.type).toBe("ok");
    ca.close();
    expect((await download(b, up.id, bob)).status).toBe(200);

    const cb = await Client.connect(b, alice); // alice's own message, deleted through the other node
    expect((await cb.request({ type: "delete", room, msgSeq: ack.event.seq })).type).toBe("ok");
    cb.close();
    for (const node of [a, b]) {
      expect((await download(node, up.id, bob)).status).toBe(404);
      expect((await download(node, up.id, alice)).status).toBe(404);
    }
    expect(await a.ctx.blobs.get(up.id)).toBeUndefined();
    expect(await b.ctx.store.blobs.get(up.id)).toBeUndefined();
  });
});
