// Test helper: a local push service that checks VAPID and decrypts aes128gcm like a browser would.

import { jwtVerify } from "jose";

/** Bytes backed by a plain ArrayBuffer, as WebCrypto wants them. */
type Bytes = Uint8Array<ArrayBuffer>;

const enc = new TextEncoder();
const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const concat = (...parts: Uint8Array[]): Bytes => new Uint8Array(Buffer.concat(parts));

/** A browser's side of one subscription: its ECDH key pair and auth secret, and what it received. */
export interface Subscriber {
  endpoint: string;
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Status the push service answers for this endpoint (201 accepts; 410 says it is gone). */
  status: number;
  received: Received[];
  privateKey: CryptoKey;
  publicRaw: Bytes;
  authSecret: Bytes;
}

export interface Received {
  headers: Record<string, string>;
  /** Claims of the verified VAPID JWT. */
  claims: { aud: string; exp: number; sub: string };
  /** The VAPID public key from `k=`. */
  vapidKey: string;
  bodyBytes: number;
  plaintext: string;
}

export interface TestPushService {
  origin: string;
  /** Failures seen by the service (bad VAPID, undecryptable body, unknown endpoint). */
  errors: string[];
  subscriber(status?: number): Promise<Subscriber>;
  stop(): void;
}

export function startPushService(): TestPushService {
  const subs = new Map<string, Subscriber>();
  const errors: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const sub = subs.get(path);
      if (!sub || req.method !== "POST") return new Response("no such subscription", { status: 404 });
      try {
        const { claims, vapidKey } = await verifyVapid(req.headers.get("authorization"), origin);
        const body = new Uint8Array(await req.arrayBuffer());
        if (req.headers.get("content-encoding") !== "aes128gcm") throw new Error("content-encoding is not aes128gcm");
        const plaintext = await decryptAes128gcm(body, sub);
        sub.received.push({ headers: Object.fromEntries(req.headers), claims, vapidKey, bodyBytes: body.length, plaintext });
      } catch (e) {
        errors.push(String(e));
        return new Response(String(e), { status: 400 });
      }
      return new Response(null, { status: sub.status });
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    origin,
    errors,
    async subscriber(status = 201) {
      const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
      const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
      const authSecret = crypto.getRandomValues(new Uint8Array(16));
      const path = `/push/${crypto.randomUUID()}`;
      const endpoint = origin + path;
      const s: Subscriber = {
        endpoint,
        subscription: { endpoint, keys: { p256dh: b64u(publicRaw), auth: b64u(authSecret) } },
        status,
        received: [],
        privateKey: pair.privateKey,
        publicRaw,
        authSecret,
      };
      subs.set(path, s);
      return s;
    },
    stop: () => server.stop(true),
  };
}

/** RFC 8292: `vapid t=<JWT>, k=<public key>`; ES256 over the key in k, aud = the endpoint's origin, exp ≤ 24 h. */
async function verifyVapid(header: string | null, origin: string) {
  const m = header?.match(/^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/);
  if (!m) throw new Error(`bad Authorization header: ${header}`);
  const [, jwt, k] = m;
  const raw = Buffer.from(k, "base64url");
  if (raw.length !== 65 || raw[0] !== 4) throw new Error("k is not an uncompressed P-256 point");
  const key = await crypto.subtle.importKey("raw", raw, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const { payload } = await jwtVerify(jwt, key, { algorithms: ["ES256"], audience: origin });
  if (typeof payload.exp !== "number" || payload.exp > Date.now() / 1000 + 24 * 3600) throw new Error("exp missing or beyond 24 h");
  if (typeof payload.sub !== "string" || !/^(mailto:|https:)/.test(payload.sub)) throw new Error("sub is not mailto:/https:");
  return { claims: payload as { aud: string; exp: number; sub: string }, vapidKey: k };
}

async function hkdf(salt: Bytes, ikm: Bytes, info: Bytes, bytes: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, bytes * 8));
}

/**
 * RFC 8188 aes128gcm with the RFC 8291 Web Push key schedule, done independently of web-push:
 * header salt(16) | rs(4) | idlen(1) | keyid = the sender's ephemeral public key (65).
 */
export async function decryptAes128gcm(body: Bytes, sub: Pick<Subscriber, "privateKey" | "publicRaw" | "authSecret">): Promise<string> {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const salt = body.slice(0, 16);
  const rs = view.getUint32(16);
  const idlen = body[20];
  if (idlen !== 65) throw new Error(`keyid length ${idlen}, expected 65`);
  const asPublic = body.slice(21, 21 + idlen);
  const ciphertext = body.slice(21 + idlen);
  if (rs < 18) throw new Error("record size too small");

  const asKey = await crypto.subtle.importKey("raw", asPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const ecdh = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: asKey }, sub.privateKey, 256));
  // RFC 8291 §3.4: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" 0x00 ua_public as_public, 32)
  const ikm = await hkdf(sub.authSecret, ecdh, concat(enc.encode("WebPush: info\0"), sub.publicRaw, asPublic), 32);
  // RFC 8188 §2.2/2.3: CEK and NONCE from the header's salt.
  const cek = await hkdf(salt, ikm, enc.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, enc.encode("Content-Encoding: nonce\0"), 12);
  const aes = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);

  const out: Uint8Array[] = [];
  const records = Math.ceil(ciphertext.length / rs);
  for (let i = 0; i < records; i++) {
    const iv = nonce.slice();
    // The record sequence number is XORed into the low 48 bits of the nonce.
    for (let b = 0, seq = i; b < 6; b++, seq = Math.floor(seq / 256)) iv[11 - b] ^= seq & 0xff;
    const rec = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: 128 }, aes, ciphertext.slice(i * rs, (i + 1) * rs)));
    let end = rec.length - 1;
    while (end >= 0 && rec[end] === 0) end--;
    const last = i === records - 1;
    if (end < 0 || rec[end] !== (last ? 2 : 1)) throw new Error(`record ${i}: bad padding delimiter`);
    out.push(rec.slice(0, end));
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(concat(...out));
}
