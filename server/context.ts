// createContext: builds everything the app needs from a Config; no module-level singletons.

import { mkdirSync } from "node:fs";
import type { Config } from "./config";
import type { Bus } from "./ports/bus";
import type { Store } from "./ports/store";
import { createLibsqlStore } from "./adapters/store/libsql";
import { createLocalBus } from "./adapters/bus/local";
import { createWriter, type Writer } from "./features/messages/writer";
import { Hub } from "./realtime/hub";
import { Presence } from "./realtime/presence";
import { loadSecret } from "./features/auth/secret";
import { TokenBuckets } from "./rate-limit";
import { Metrics } from "./metrics";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  now(): number;
}

export interface Ids {
  /** 16 random characters from a URL-safe alphabet (~95 bits). */
  id(): string;
  /** A longer secret (refresh tokens). */
  secret(): string;
}

export interface Context {
  config: Config;
  log: Logger;
  clock: Clock;
  ids: Ids;
  store: Store;
  bus: Bus;
  writer: Writer;
  hub: Hub;
  presence: Presence;
  /** Per-user budget for authenticated HTTP calls. */
  httpLimit: TokenBuckets;
  metrics: Metrics;
  /** HS256 key, imported once: jose would import a raw secret again on every sign and verify. */
  jwtKey: CryptoKey;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** JSON-lines logger on stdout (stderr for warn/error). */
export function createLogger(level: Config["logLevel"], base: Record<string, unknown> = {}): Logger {
  const min = LEVELS[level];
  const write = (lvl: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields });
    (lvl === "warn" || lvl === "error" ? process.stderr : process.stdout).write(line + "\n");
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Bytes ≥ 248 are skipped so every character is equally likely (248 = 4 × 62). */
const UNBIASED_BELOW = 248;
const RANDOM_POOL_BYTES = 4096;

/** Random strings from bytes drawn in bulk: an id per message made a getRandomValues call and an array each. */
function randomStrings(): (n: number) => string {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  let at = pool.length;
  return (n) => {
    let s = "";
    while (s.length < n) {
      if (at === pool.length) crypto.getRandomValues(pool), (at = 0);
      const b = pool[at++];
      if (b < UNBIASED_BELOW) s += ALPHABET[b % 62];
    }
    return s;
  };
}
const randomString = randomStrings();

export const systemClock: Clock = { now: () => Date.now() };
export const randomIds: Ids = { id: () => randomString(16), secret: () => randomString(32) };

export async function createContext(
  config: Config,
  overrides: Partial<Pick<Context, "log" | "clock" | "ids" | "store" | "bus">> = {},
): Promise<Context> {
  mkdirSync(config.dataDir, { recursive: true });
  const log = overrides.log ?? createLogger(config.logLevel);
  const store = overrides.store ?? (await createLibsqlStore(config.databaseUrl));
  await store.migrate();
  const bus = overrides.bus ?? createLocalBus();
  const writer = createWriter(store, bus, log);
  const hub = new Hub(store, log, config);
  bus.subscribe((m) => hub.onBus(m));
  const jwtKey = await crypto.subtle.importKey("raw", await loadSecret(config, log), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const clock = overrides.clock ?? systemClock;
  const presence = new Presence(bus, store, clock, config, log, (userId) => hub.roomsOf(userId));
  hub.onJoin = (userId, room) => void presence.joined(userId, room).catch((e) => log.warn("presence on join failed", { err: String(e) }));
  const httpLimit = new TokenBuckets(config.httpBurst, config.httpRatePerSec, clock);
  const metrics = new Metrics();
  metrics.sample("parley_sockets", "authenticated WebSocket connections on this instance", "gauge", () => hub.socketCount);
  metrics.sample("parley_commit_batches_total", "write transactions committed (group commit)", "counter", () => writer.stats.batches);
  metrics.sample("parley_events_committed_total", "room events committed", "counter", () => writer.stats.events);
  metrics.sample("parley_write_queue", "events waiting for the writer", "gauge", () => writer.stats.queued);
  metrics.sample("process_resident_memory_bytes", "resident set size", "gauge", () => process.memoryUsage.rss());
  return { config, log, clock, ids: overrides.ids ?? randomIds, store, bus, writer, hub, presence, httpLimit, metrics, jwtKey };
}
