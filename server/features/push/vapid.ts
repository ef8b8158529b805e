// VAPID keys: generated on first run into <data>/vapid.json (0600) and reused after every restart.

import { createECDH } from "node:crypto";
import { chmodSync, existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config";
import type { Logger } from "../../ports/runtime";
import type { Store } from "../../ports/store";

export interface Vapid {
  /** Uncompressed P-256 point, base64url: the applicationServerKey browsers subscribe with. */
  publicKey: string;
  /** P-256 private scalar, base64url. Never leaves the server. */
  privateKey: string;
  /** Contact for push services: a mailto: or https: URL. */
  subject: string;
}

export const DEFAULT_VAPID_SUBJECT = "mailto:admin@localhost";
/** A single node's key file in <data>, and the shared secret's name a cluster keeps the pair under (migrate-store carries one into the other). */
export const VAPID_KEYS = { file: "vapid.json", shared: "vapid" } as const;

/**
 * A new P-256 pair, as web-push's generateVAPIDKeys makes it (the private scalar left-padded to 32 bytes).
 * Written here so that starting the server does not load web-push (start-up memory, docs/benchmarks.md).
 */
function generateVAPIDKeys(): { publicKey: string; privateKey: string } {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const priv = ecdh.getPrivateKey();
  return { publicKey: ecdh.getPublicKey("base64url"), privateKey: Buffer.concat([Buffer.alloc(32 - priv.length), priv]).toString("base64url") };
}

/** In a cluster (a --bus is set) every node must push with one key pair: it lives in the shared store. */
export async function sharedVapidKeys(config: Config, store: Store): Promise<string | undefined> {
  return config.busUrl ? store.sharedSecret(VAPID_KEYS.shared, () => JSON.stringify(generateVAPIDKeys())) : undefined;
}

/**
 * Loads the key pair, creating it once (or takes the cluster's pair from sharedVapidKeys). A lost or replaced pair silently breaks every browser
 * subscription (each was made for the old public key), so a damaged file is an error, never regenerated.
 */
export function loadVapid(config: Config, log: Logger, subject = DEFAULT_VAPID_SUBJECT, shared?: string): Vapid {
  checkSubject(subject);
  if (shared !== undefined) {
    const keys = JSON.parse(shared) as { publicKey?: unknown; privateKey?: unknown };
    if (!validPair(keys.publicKey, keys.privateKey)) throw new Error("the VAPID keys kept in the shared store are not a matching P-256 key pair");
    return { publicKey: keys.publicKey as string, privateKey: keys.privateKey as string, subject };
  }
  const path = join(config.dataDir, VAPID_KEYS.file);
  if (!existsSync(path)) create(path, log);
  chmodSync(path, 0o600);
  let keys: { publicKey?: unknown; privateKey?: unknown };
  try {
    keys = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path} is not valid JSON; restore it from a backup (deleting it invalidates every push subscription)`, { cause: e });
  }
  if (!validPair(keys.publicKey, keys.privateKey)) {
    throw new Error(`${path} does not hold a matching P-256 key pair; restore it from a backup (deleting it invalidates every push subscription)`);
  }
  return { publicKey: keys.publicKey as string, privateKey: keys.privateKey as string, subject };
}

function create(path: string, log: Logger) {
  // Written whole to a private temp file, then linked into place: link fails if another process
  // won the race, and nobody ever reads a half-written file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(generateVAPIDKeys()) + "\n", { mode: 0o600 });
  try {
    linkSync(tmp, path);
    log.info("generated VAPID keys for web push", { path });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function validPair(publicKey: unknown, privateKey: unknown): boolean {
  if (typeof publicKey !== "string" || typeof privateKey !== "string") return false;
  const priv = Buffer.from(privateKey, "base64url");
  if (priv.length !== 32 || Buffer.from(publicKey, "base64url").length !== 65) return false;
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(priv);
    return ecdh.getPublicKey("base64url") === publicKey;
  } catch {
    return false;
  }
}

function checkSubject(subject: string) {
  let u: URL;
  try {
    u = new URL(subject);
  } catch {
    throw new Error(`VAPID subject must be a mailto: or https: URL, got "${subject}"`);
  }
  if (u.protocol !== "mailto:" && u.protocol !== "https:") throw new Error(`VAPID subject must be a mailto: or https: URL, got "${subject}"`);
}
