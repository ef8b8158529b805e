// Web Push: users' browser subscriptions and encrypted notifications to them (RFC 8030/8291/8292).

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { PushStore, PushSubscriptionRow } from "../../ports/push";
import { loadVapid } from "./vapid";
import type { NotificationKind } from "../../protocol/types";

export interface PushPayload {
  title: string;
  body: string;
  room: string;
  seq: number;
  kind: NotificationKind;
}

/** What a browser's PushSubscription.toJSON() carries (expirationTime is ignored). */
export interface SubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushOptions {
  /** VAPID contact (mailto: or https:); default mailto:admin@localhost. */
  subject?: string;
  /**
   * Also accept http://127.0.0.1, http://[::1] and http://localhost endpoints, for tests that play
   * the push service locally. Off by default: it would let any user make the server POST to
   * services listening on its own loopback interface.
   */
  allowLoopbackHttp?: boolean;
  /** Per delivery attempt; a slow push service must not hold a send forever. */
  timeoutMs?: number;
}

export const MAX_ENDPOINT_LENGTH = 2048;
/** Enough for a user's browsers and devices; the oldest goes first, as stale ones pile up otherwise. */
export const MAX_SUBSCRIPTIONS_PER_USER = 10;
/** A notification is a nudge, and the unread message is fetched anyway when it is opened. */
const TTL_SEC = 24 * 60 * 60;
/** Push services take 4096 bytes of encrypted body; aes128gcm adds 103, this leaves a margin. */
const MAX_PLAINTEXT_BYTES = 3800;
const MAX_TITLE_CHARS = 200;

export function createPush(ctx: Context, store: PushStore, opts: PushOptions = {}) {
  const vapid = loadVapid(ctx.config, ctx.log, opts.subject, ctx.sharedVapid);
  const timeoutMs = opts.timeoutMs ?? 10_000;

  function endpointAllowed(u: URL): boolean {
    if (u.username || u.password) return false;
    if (u.protocol === "https:") return true;
    return !!opts.allowLoopbackHttp && u.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(u.hostname);
  }

  function checkEndpoint(endpoint: string): string {
    let u: URL;
    try {
      if (endpoint.length > MAX_ENDPOINT_LENGTH) throw new Error();
      u = new URL(endpoint);
    } catch {
      throw new AppError("invalid_request", `endpoint must be a URL of at most ${MAX_ENDPOINT_LENGTH} characters`);
    }
    if (!endpointAllowed(u)) throw new AppError("invalid_request", "endpoint must be an https: URL");
    return endpoint;
  }

  /** One delivery; true when the push service accepted it. Drops the subscription on 404/410. */
  async function deliver(s: PushSubscriptionRow, plaintext: string): Promise<boolean> {
    let host = "?";
    try {
      const u = new URL(s.endpoint);
      host = u.host;
      if (!endpointAllowed(u)) {
        // Stored under other settings (e.g. a loopback endpoint from a test run): never deliverable here.
        await store.removeEndpoint(s.endpoint);
        ctx.log.warn("push endpoint not allowed, subscription dropped", { userId: s.userId, host });
        return false;
      }
      // web-push's sendNotification posts with node:https only, so it cannot reach an http endpoint
      // (and its request builder calls the deprecated url.parse): use its encryption and VAPID
      // signing, and send the request with fetch.
      // Imported at the first push, not at start-up (start-up memory, docs/benchmarks.md).
      const { encrypt, getVapidHeaders } = await import("web-push");
      const { cipherText } = encrypt(s.p256dh, s.auth, plaintext, "aes128gcm");
      const { Authorization } = getVapidHeaders(u.origin, vapid.subject, vapid.publicKey, vapid.privateKey, "aes128gcm");
      const res = await fetch(s.endpoint, {
        method: "POST",
        headers: { Authorization, TTL: String(TTL_SEC), Urgency: "high", "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream" },
        body: new Uint8Array(cipherText),
        redirect: "manual", // a push service never redirects; following one could lead anywhere
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => {});
        return true;
      }
      const reason = (await res.text().catch(() => "")).slice(0, 200);
      if (res.status === 404 || res.status === 410) {
        await store.removeEndpoint(s.endpoint);
        ctx.log.info("push subscription gone, dropped", { userId: s.userId, host, status: res.status });
        return false;
      }
      ctx.log.warn("push delivery refused", { userId: s.userId, host, status: res.status, reason });
      return false;
    } catch (e) {
      // The endpoint URL is a bearer capability: log its host, never the whole URL.
      ctx.log.warn("push delivery failed", { userId: s.userId, host, err: String(e) });
      return false;
    }
  }

  return {
    publicKey: vapid.publicKey,

    /** Validates and stores the subscription; the endpoint moves to this user if another held it. */
    async subscribe(userId: string, sub: SubscriptionInput): Promise<void> {
      const endpoint = checkEndpoint(sub.endpoint);
      const p256dh = await checkP256dh(sub.keys?.p256dh);
      const auth = base64url(sub.keys?.auth, 16, "keys.auth");
      await store.upsert({ id: ctx.ids.id(), userId, endpoint, p256dh, auth, createdAt: ctx.clock.now() });
      const mine = await store.listByUser(userId);
      const excess = mine.length - MAX_SUBSCRIPTIONS_PER_USER;
      if (excess > 0) for (const old of mine.filter((r) => r.endpoint !== endpoint).slice(0, excess)) await store.removeForUser(userId, old.endpoint);
    },

    /** Idempotent; someone else's endpoint is left alone. */
    async unsubscribe(userId: string, endpoint: string): Promise<void> {
      await store.removeForUser(userId, endpoint);
    },

    /** Sends to every subscription of the user at once; resolves to how many accepted. Never throws. */
    async send(userId: string, payload: PushPayload): Promise<number> {
      try {
        const subs = await store.listByUser(userId);
        if (subs.length === 0) return 0;
        const plaintext = encode(payload);
        return (await Promise.all(subs.map((s) => deliver(s, plaintext)))).filter(Boolean).length;
      } catch (e) {
        ctx.log.warn("push send failed", { userId, err: String(e) });
        return 0;
      }
    },
  };
}
export type Push = ReturnType<typeof createPush>;

/** Strict base64url (padding tolerated, dropped) of exactly `bytes` bytes; returns it unpadded. */
function base64url(value: unknown, bytes: number, name: string): string {
  const s = typeof value === "string" ? value.replace(/=+$/, "") : "";
  const buf = Buffer.from(s, "base64url");
  // Re-encoding must give the same text: rejects stray characters and non-zero trailing bits.
  if (!/^[A-Za-z0-9_-]+$/.test(s) || buf.length !== bytes || buf.toString("base64url") !== s) {
    throw new AppError("invalid_request", `${name} must be base64url of ${bytes} bytes`);
  }
  return s;
}

/** An uncompressed point actually on P-256, so encryption cannot fail later at send time. */
async function checkP256dh(value: unknown): Promise<string> {
  const s = base64url(value, 65, "keys.p256dh");
  const raw = Buffer.from(s, "base64url");
  try {
    if (raw[0] !== 4) throw new Error();
    await crypto.subtle.importKey("raw", raw, { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    throw new AppError("invalid_request", "keys.p256dh must be an uncompressed P-256 public key");
  }
  return s;
}

/** JSON of the payload; an over-long body is cut (at a code point, with "…") to fit one push message. */
function encode(p: PushPayload): string {
  const json = JSON.stringify(p);
  if (Buffer.byteLength(json) <= MAX_PLAINTEXT_BYTES) return json;
  const title = Array.from(p.title).slice(0, MAX_TITLE_CHARS).join("");
  const chars = Array.from(p.body);
  const build = (n: number) => JSON.stringify({ ...p, title, body: chars.slice(0, n).join("") + "…" });
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (Buffer.byteLength(build(mid)) <= MAX_PLAINTEXT_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return build(lo);
}
