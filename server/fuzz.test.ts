// Property-based fuzzing (fast-check) of every JSON route and every client frame type: random and
// mutated input never gets a 500, an `internal` error, an error log line, or a dead server.
//
// Short in CI: a fixed seed and FUZZ_RUNS runs per target (default 200). `make fuzz` runs more with a
// fresh seed (FUZZ_SEED); a failure prints the seed and the shrunk input that reproduces it.
// FUZZ_STATS=1 prints each target's answers by status or code: how deep the inputs got.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createApp, type Services } from "./app";
import { defaultConfig } from "./config";
import { createContext, type Context } from "./context";
import { FRAME_SCHEMAS, type FrameType } from "./protocol/schemas";
import type { Logger } from "./ports/runtime";
import { listen } from "./serve";
import { api, Client, createRoom, register, TEST_CONFIG, tempDir, type Session } from "./test/harness";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const PARAMS = { numRuns: RUNS, seed: SEED };
const TARGET_MS = Math.max(60_000, RUNS * 100);

/** Every error-level log line the server writes: an input that makes one is a finding. */
const errors: { msg: string; fields?: Record<string, unknown> }[] = [];
const log: Logger = { debug() {}, info() {}, warn() {}, error: (msg, fields) => void errors.push({ msg, fields }) };

let ctx: Context, url: string, wsUrl: string, stop: () => Promise<void>;
let root: Session;

beforeAll(async () => {
  // Limits that would turn most inputs into `rate_limited` before they reach the code are lifted.
  const config = defaultConfig({
    ...TEST_CONFIG, dataDir: tempDir(), logLevel: "error",
    writeBurst: 1e9, writeRatePerSec: 1e9, readBurst: 1e9, readRatePerSec: 1e9, floodCloseAfter: 1e9, loginFailuresPerWindow: 1e9,
  });
  ctx = await createContext(config, { log });
  const r = listen(ctx);
  [url, wsUrl, stop] = [r.url, r.url.replace("http", "ws") + "/ws", r.stop];
  root = await register(url); // the first account: a server admin
});
afterAll(() => stop?.());

/** A fresh cast per target, so one target's damage (a ban, a deactivation, a new password) stays there. */
async function cast() {
  const [alice, bob] = [await register(url), await register(url)];
  const room = await createRoom(url, alice);
  await api(url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  const c = await Client.connect({ wsUrl }, alice);
  for (const body of ["first message", "second, with @" + bob.user.username]) await c.request({ type: "send", room, body, clientMsgId: crypto.randomUUID() });
  c.close();
  return { alice, bob, room };
}
type Cast = Awaited<ReturnType<typeof cast>>;

// ---- values ------------------------------------------------------------------------------------

/** Any UTF-16 code unit: controls, lone surrogates, bidi controls, NUL. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** encodeURIComponent, except that a lone surrogate goes out as its WTF-8 bytes (invalid UTF-8) instead of throwing. */
const enc = (s: string) =>
  [...s].map((ch) => {
    const c = ch.charCodeAt(0);
    if (ch.length > 1 || c < 0xd800 || c > 0xdfff) return encodeURIComponent(ch);
    return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => "%" + b.toString(16).toUpperCase()).join("");
  }).join("");
const nested = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));
const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: codeUnit, maxLength: 20 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\ud800", "\udfff", "\u202e", '"', "'", "%", "%00", "\\", "..", "../../etc/passwd", "NEAR(a b)", "*", "a OR", "()", "x".repeat(5000), "😀".repeat(100), "1.5", "-1", "1e400", "NaN", "null", "true"),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom(1.5, -1, 0, -0, 1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 2 ** 53),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(nested(64), nested(2_000), { __proto__: { admin: true } }, { constructor: { prototype: 1 } }),
);
/** Values that pass the schemas, so inputs reach the services too. */
const fresh = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_"), minLength: 3, maxLength: 16 });
function plausible(k: Cast): fc.Arbitrary<unknown> {
  return fc.oneof(fresh, fc.integer({ min: 0, max: 100 }), fc.constantFrom(
    k.room, k.alice.user.id, k.bob.user.id, k.bob.user.username, k.alice.user.username, root.user.id, "public", "private", "member", "admin",
    "correct horse battery", k.alice.refreshToken, 1, 2, 3, 0, 60, true, false, "👍", "hello there", crypto.randomUUID(),
    "https://push.example.com/x", { p256dh: "BOr-aaaa", auth: "aaaa" }, [k.room], { [k.room]: 0 }, "online", "away",
  ));
}
interface Schema { type?: string; format?: string; const?: unknown; anyOf?: Schema[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; minimum?: number; maxLength?: number; patternProperties?: object }

/** Values a schema accepts, drawn towards the cast's real ids and names, so an input gets past validation to the code behind it. */
function valid(schema: Schema | undefined, k: Cast, key = ""): fc.Arbitrary<unknown> {
  if (!schema) return fc.jsonValue({ maxDepth: 2 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  // Elysia's t.Numeric is anyOf [numeric string, number]: the number branch, or most values would be words.
  if (schema.anyOf) return fc.oneof(...schema.anyOf.filter((s) => s.format !== "numeric").map((s) => valid(s, k, key)));
  if (key === "room") return fc.oneof({ weight: 6, arbitrary: fc.constant(k.room) }, valid({ ...schema, anyOf: undefined }, k, "id"));
  if (/seq$|^seq|^replyTo$|^before$|^after$/i.test(key) && schema.type === "integer") return fc.integer({ min: schema.minimum ?? 0, max: 6 });
  switch (schema.type) {
    case "string": {
      const max = schema.maxLength ?? 200;
      const text = fc.oneof(fc.string({ maxLength: Math.min(max, 60) }), fc.string({ unit: "grapheme", maxLength: Math.min(max, 20) }));
      const known = fc.constantFrom(k.room, k.alice.user.id, k.bob.user.id, root.user.id, k.bob.user.username, k.alice.user.username, "correct horse battery", "👍", crypto.randomUUID(), "https://push.example.com/x").filter((v) => v.length <= max);
      return /body|topic|name|q$/i.test(key) ? fc.oneof(text, known) : fc.oneof({ weight: 3, arbitrary: known }, fresh.filter((v) => v.length <= max), text);
    }
    case "integer":
    case "number":
      return fc.oneof(fc.integer({ min: schema.minimum ?? 0, max: (schema.minimum ?? 0) + 5 }), fc.integer({ min: schema.minimum ?? -10, max: 100_000 }));
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(valid(schema.items, k, key), { maxLength: 3 });
    case "object": {
      if (!schema.properties) return fc.constant({ [k.room]: 0 }); // a Record: `since`
      const model = Object.fromEntries(Object.entries(schema.properties).map(([name, s]) => [name, valid(s, k, name)]));
      return fc.record(model, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** The required fields of an object schema with plain valid values (strings name the cast's room, bob, or say "hello"). */
function minimal(schema: Schema, k: Cast): Record<string, unknown> {
  const plain = (s: Schema, key: string): unknown => {
    if (s.const !== undefined) return s.const;
    if (s.anyOf) return plain(s.anyOf.find((x) => x.format !== "numeric")!, key);
    if (s.type === "integer" || s.type === "number") return Math.max(s.minimum ?? 1, 1);
    if (s.type === "boolean") return true;
    if (s.type === "object") return s.properties ? minimal(s, k) : {};
    if (s.type === "array") return [];
    return key === "room" || key === "id" ? k.room : /user/i.test(key) ? k.bob.user.username : "hello";
  };
  return Object.fromEntries((schema.required ?? []).map((key) => [key, plain(schema.properties![key], key)]));
}

/** Numbers at the edges: fractions, negatives, zero, past 2^53, past a double. */
const edgeNumber = fc.oneof(fc.constantFrom(1.5, 0.5, -1, 0, -0, 1e-300, 1e308, 2 ** 53 + 2, -(2 ** 63)), fc.double({ noNaN: true }));
/** A hostile value for a field of this schema: mostly of its own type, where the checks are subtle. */
function hostileFor(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const types = [schema?.type, ...(schema?.anyOf ?? []).map((s) => s.type)];
  if (types.includes("integer") || types.includes("number")) return fc.oneof({ weight: 3, arbitrary: edgeNumber }, hostileValue);
  if (types.includes("string")) return fc.oneof({ weight: 3, arbitrary: hostileString }, hostileValue);
  return hostileValue;
}

/** A valid value, often with one field swapped for a hostile value, dropped, or an extra one added. */
function mutated(schema: Schema | undefined, k: Cast): fc.Arbitrary<unknown> {
  const keys = Object.keys(schema?.properties ?? {});
  const base = valid(schema, k);
  if (!keys.length) return fc.oneof(base, hostileValue);
  const swap = fc.constantFrom(...keys).chain((key) => hostileFor(schema!.properties![key]).map((v) => [key, v] as const));
  return fc.oneof(
    { weight: 2, arbitrary: base },
    { weight: 4, arbitrary: fc.tuple(base, swap).map(([o, [key, v]]) => ({ ...(o as object), [key]: v })) },
    fc.tuple(base, fc.constantFrom(...keys)).map(([o, key]) => { const c = { ...(o as Record<string, unknown>) }; delete c[key]; return c; }),
    fc.tuple(base, hostileString, hostileValue).map(([o, key, v]) => ({ [key]: v, ...(o as object) })),
  );
}

const mixed = (k: Cast) => fc.oneof({ weight: 3, arbitrary: plausible(k) }, { weight: 1, arbitrary: hostileValue });

/** Objects with a schema's keys (each maybe missing), plus now and then a key of its own. */
function objectFor(keys: string[], value: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  const model = Object.fromEntries(keys.map((key) => [key, value]));
  return fc.tuple(fc.record(model, { requiredKeys: [] }), fc.option(fc.dictionary(hostileString, value, { maxKeys: 2 }), { nil: undefined, freq: 5 }))
    .map(([o, extra]) => ({ ...extra, ...o }));
}

// ---- HTTP ---------------------------------------------------------------------------------------

interface Route { method: string; path: string; body?: Schema; query?: Schema }

/**
 * Every route the app serves, with its schema's body and query keys, read off an app built (not
 * served) on a context of its own: routes added later are fuzzed without being listed here.
 */
async function listRoutes(): Promise<Route[]> {
  const tmp = await createContext(defaultConfig({ ...TEST_CONFIG, dataDir: tempDir() }), { log });
  const app = createApp(tmp, new Proxy({}, { get: () => undefined }) as unknown as Services);
  const routes = app.routes.map((r) => ({ method: r.method, path: r.path, body: r.hooks.body as Schema | undefined, query: r.hooks.query as Schema | undefined }));
  tmp.presence.close();
  tmp.hub.close();
  await tmp.bus.close();
  await tmp.store.close();
  return routes;
}
const ROUTES = await listRoutes();

describe("fuzz: every JSON route", () => {
  for (const route of ROUTES) {
    test(`FUZZ-HTTP ${route.method} ${route.path}: no 500, no internal error, no error log`, async () => {
      const k = await cast();
      const seen: Record<number, number> = {};
      const segment = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(k.room, k.room, k.room, k.alice.user.id, k.bob.user.id, root.user.id, "nope") },
        hostileString.map((s) => enc(s) || "x"),
        fc.constantFrom("%00", "%ZZ", "%2e%2e", "..", "%F0%9F%98%80", "x".repeat(300)),
      );
      const params = fc.array(segment, { minLength: 8, maxLength: 8 });
      const token = fc.constantFrom(k.alice.accessToken, k.alice.accessToken, k.alice.accessToken, k.bob.accessToken, root.accessToken, undefined, "garbage", "Bearer x.y.z");
      const body = fc.oneof(
        { weight: 6, arbitrary: mutated(route.body, k).map((o) => ({ json: true, text: JSON.stringify(o) ?? "null" })) },
        { weight: 2, arbitrary: objectFor(Object.keys(route.body?.properties ?? {}), mixed(k)).map((o) => ({ json: true, text: JSON.stringify(o) })) },
        hostileValue.map((v) => ({ json: true, text: JSON.stringify(v) ?? "null" })),
        fc.string({ unit: codeUnit, maxLength: 60 }).map((text) => ({ json: true, text })),
        // 10,000 arrays deep in a field (the validator's error path overflowed its stack on these).
        fc.constantFrom(...Object.keys(route.body?.properties ?? { x: 1 })).map((key) => ({ json: true, text: `{"${key}":${"[".repeat(10_000)}"x"${"]".repeat(10_000)}}` })),
        fc.tuple(fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""), hostileString)
          .map(([type, text]) => ({ json: false, type, text })),
        fc.constant(undefined),
      );
      const query = fc.oneof(
        { weight: 3, arbitrary: route.query ? mutated(route.query, k) : fc.constant({}) },
        objectFor(Object.keys(route.query?.properties ?? { q: 1 }), fc.oneof(hostileString, plausible(k).map(String))),
      ).map((q) => (typeof q === "object" && q !== null && !Array.isArray(q) ? (q as Record<string, unknown>) : { q }));
      type Body = { json: boolean; type?: string; text: string } | undefined;
      async function check(segs: string[], auth: string | undefined, b: Body, q: Record<string, unknown>) {
        let i = 0;
        const path = route.path.replace(/:[a-zA-Z]+/g, () => segs[i++]).replace("*", segs[i++]);
        const qs = Object.entries(q).map(([key, v]) => `${enc(key)}=${enc(String(v))}`).join("&");
        const headers: Record<string, string> = {};
        if (auth) headers.authorization = auth.startsWith("Bearer") ? auth : `Bearer ${auth}`;
        if (b) headers["content-type"] = b.json ? "application/json" : b.type!;
        const before = errors.length;
        const res = await fetch(`${url}${path}${qs ? "?" + qs : ""}`, { method: route.method, headers, body: route.method === "GET" ? undefined : b?.text });
        const text = await res.text();
        seen[res.status] = (seen[res.status] ?? 0) + 1;
        const found = { request: `${route.method} ${path}?${qs} ${b?.text.slice(0, 200) ?? ""}`, status: res.status, code: res.status >= 400 && res.headers.get("content-type")?.includes("json") ? JSON.parse(text).error?.code : undefined, logged: errors.slice(before).map((e) => e.msg) };
        if (found.status >= 500 || found.code === "internal" || found.logged.length) throw new Error(`the server failed: ${JSON.stringify(found)}`);
      }

      // Every numeric field at every edge, the rest valid, as the cast's room admin: the class of
      // `limit=1.5` reaching the database is found every run, not by chance.
      const real = route.path.split("/").filter((p) => p.startsWith(":")).map((p) => (p === ":userId" ? k.bob.user.id : k.room));
      const validBody = route.body && minimal(route.body, k);
      const validQuery = route.query ? minimal(route.query, k) : {};
      for (const [where, schema] of [["query", route.query], ["body", route.body]] as const) {
        for (const [key, field] of Object.entries(schema?.properties ?? {})) {
          const types = [field.type, ...(field.anyOf ?? []).map((x) => x.type)];
          if (!types.includes("integer") && !types.includes("number")) continue;
          for (const edge of [1.5, 0.5, -1, 0, -0.5, 1e-300, 1e308, 2 ** 53 + 2, "1e400", "0x10", " 3"]) {
            const b: Body = where === "body" ? { json: true, text: JSON.stringify({ ...validBody, [key]: edge }) } : validBody && { json: true, text: JSON.stringify(validBody) };
            await check([...real, "x"], k.alice.accessToken, b, where === "query" ? { ...validQuery, [key]: edge } : validQuery);
          }
        }
      }

      await fc.assert(fc.asyncProperty(params, token, body, query, (segs, auth, b, q) => check(segs, auth, b as Body, q)), PARAMS);
      if (process.env.FUZZ_STATS) console.log("STATS", route.method, route.path, JSON.stringify(seen));
      expect((await api(url, "GET", "/healthz")).status).toBe(200);
    }, TARGET_MS);
  }
});

// ---- WebSocket ----------------------------------------------------------------------------------

/** A frame of `type` with an id we can match its answer by; other fields from the schema's keys. */
function frameFor(type: FrameType, k: Cast, id: string): fc.Arbitrary<Record<string, unknown>> {
  const frame = mutated(FRAME_SCHEMAS[type] as Schema, k).map((f) => (typeof f === "object" && f !== null && !Array.isArray(f) ? f : { type, body: f }));
  return frame.map((f) => ({ ...f, id }));
}

describe("fuzz: every client frame type", () => {
  let k: Cast, c: Client;
  beforeAll(async () => {
    k = await cast();
    c = await Client.connect({ wsUrl }, k.alice);
  });
  afterAll(() => c?.close());

  let n = 0;
  /** Sends one frame and returns its answer (ok, error or pong), matched by id. */
  async function exchange(frame: Record<string, unknown>) {
    const id = String(frame.id);
    const from = c.frames.length;
    const before = errors.length;
    c.send(frame);
    const reply = await c.next((f) => f.id === id && (f.type === "ok" || f.type === "error" || f.type === "pong"), { from, timeoutMs: 5_000 });
    return { reply, logged: errors.slice(before).map((e) => e.msg) };
  }

  for (const type of Object.keys(FRAME_SCHEMAS).filter((t) => t !== "hello") as FrameType[]) {
    test(`FUZZ-WS ${type}: every answer is ok or a non-internal error, the socket stays open`, async () => {
      const seen: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(fc.constant(null).chain(() => frameFor(type, k, `f${n++}`)), async (frame) => {
          const { reply, logged } = await exchange(frame);
          const key = reply.type === "error" ? reply.code : reply.type;
          seen[key] = (seen[key] ?? 0) + 1;
          expect(reply.type === "error" ? reply.code : reply.type).not.toBe("internal");
          expect(logged).toEqual([]);
        }),
        PARAMS,
      );
      if (process.env.FUZZ_STATS) console.log("STATS", type, JSON.stringify(seen));
      expect((await c.request({ type: "ping" })).type).toBe("pong");
    }, TARGET_MS);
  }

  test("FUZZ-WS raw: any text or JSON frame is answered or refused, never crashes; a ping still answers", async () => {
    const raw = fc.oneof(
      fc.string({ unit: codeUnit, maxLength: 200 }),
      hostileValue.map((v) => JSON.stringify(v) ?? "null"),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.constantFrom("[".repeat(20_000), '{"type":"send"', "{}", "null", '{"type":"__proto__"}', '{"type":"toString","id":"x"}'),
    );
    await fc.assert(
      fc.asyncProperty(raw, async (text) => {
        const before = errors.length;
        const from = c.frames.length;
        c.send(text);
        const id = `barrier${n++}`;
        c.send({ type: "ping", id });
        await c.next((f) => f.id === id, { from, timeoutMs: 5_000 });
        expect(c.frames.slice(from).filter((f) => f.type === "error" && f.code === "internal")).toEqual([]);
        expect(errors.slice(before)).toEqual([]);
      }),
      PARAMS,
    );
  }, TARGET_MS);

  test("FUZZ-WS hello: any first frame gets a welcome or a close with a 4xxx code, never 1011", async () => {
    const token = fc.oneof(fc.constantFrom(k.alice.accessToken, k.bob.accessToken), hostileValue);
    const hello = fc.oneof(
      fc.tuple(token, fc.option(fc.oneof(fc.constant({ [k.room]: 0 }), hostileValue), { nil: undefined }), fc.oneof(fc.constant("hello"), hostileValue))
        .map(([t, since, type]) => JSON.stringify({ type, token: t, ...(since === undefined ? {} : { since }) })),
      fc.string({ unit: codeUnit, maxLength: 100 }),
    );
    await fc.assert(
      fc.asyncProperty(hello, async (text) => {
        const before = errors.length;
        const h = new Client(wsUrl);
        await h.opened;
        h.send(text);
        const outcome = await Promise.race([h.next((f) => f.type === "welcome" || f.type === "error").then((f) => f.type as string), h.closed.then((e) => e.code)]);
        h.close();
        if (typeof outcome === "number") expect(outcome).toBeGreaterThanOrEqual(4000);
        expect(errors.slice(before)).toEqual([]);
      }),
      { ...PARAMS, numRuns: Math.ceil(RUNS / 2) },
    );
    expect((await c.request({ type: "ping" })).type).toBe("pong");
  }, TARGET_MS);
});
