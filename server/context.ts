// createContext: builds everything the app needs from a Config; no module-level singletons.

import { chmodSync, mkdirSync, statSync } from "node:fs";
import type { Config } from "./config";
import type { Bus } from "./ports/bus";
import type { Store } from "./ports/store";
import { createStore } from "./adapters/store";
import { createBus } from "./adapters/bus";
import { createBlobs } from "./adapters/blobs";
import type { UploadBlobs } from "./ports/blobs";
import { createWriter, type Writer } from "./features/messages/writer";
import { Hub, roomTopic } from "./realtime/hub";
import { Presence } from "./realtime/presence";
import { loadSecret } from "./features/auth/secret";
import { EndedSessions } from "./features/auth/ended";
import { sharedVapidKeys } from "./features/push/vapid";
import { countRefusals, createRateLimiters } from "./rate-limit";
import type { RateLimiter, RateLimiters } from "./ports/rate-limit";
import { busMeter, Metrics } from "./metrics";
import type { Clock, Ids, Logger } from "./ports/runtime";
import { createLogger, randomIds, systemClock } from "./runtime";

export interface Context {
  config: Config;
  log: Logger;
  clock: Clock;
  ids: Ids;
  store: Store;
  /** Upload bytes: the store's on PostgreSQL (every node reads them), files in <data>/uploads/ otherwise. */
  blobs: UploadBlobs;
  bus: Bus;
  writer: Writer;
  hub: Hub;
  presence: Presence;
  /** Per-user budget for authenticated HTTP calls. */
  httpLimit: RateLimiter;
  /** Makes the named rate limiters: per process, or shared by every node when the bus is Redis. */
  limits: RateLimiters;
  metrics: Metrics;
  /** The cluster's Web Push key pair (JSON) when a --bus is set; a single node keeps <data>/vapid.json. */
  sharedVapid: string | undefined;
  /** HS256 key, imported once: jose would import a raw secret again on every sign and verify. */
  jwtKey: CryptoKey;
  /** Sessions ended within the access-token lifetime: their access tokens are refused on this node. */
  endedSessions: EndedSessions;
}

/** The data directory holds the database, secrets and uploads: 0700 whatever the umask, tightened if it was looser. */
function ownerOnlyDir(dir: string, log: Logger) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch (e) {
    log.warn("cannot make the data directory owner-only", { dir, err: String(e) });
  }
}

export async function createContext(
  config: Config,
  overrides: Partial<Pick<Context, "log" | "clock" | "ids" | "store" | "blobs" | "bus" | "limits">> = {},
): Promise<Context> {
  const log = overrides.log ?? createLogger(config.logLevel, {}, config.logFormat);
  ownerOnlyDir(config.dataDir, log);
  const store = overrides.store ?? (await createStore(config.databaseUrl, { durability: config.durability }));
  await store.migrate();
  const metrics = new Metrics();
  let bus: Bus;
  try {
    bus = overrides.bus ?? (await createBus(config.busUrl, log, busMeter(metrics))); // rejects when the broker is unreachable
  } catch (e) {
    await store.close();
    throw e;
  }
  const writer = createWriter(store, bus, log, metrics);
  const hub = new Hub(store, bus, log, config, metrics); // subscribes itself to the bus
  const jwtKey = await crypto.subtle.importKey("raw", await loadSecret(config, log, store), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const clock = overrides.clock ?? systemClock;
  const presence = new Presence({
    bus, store, clock, config, log, nodeId: randomIds.id(),
    roomsOf: (userId) => hub.roomsOf(userId),
    tellRoom: (room, json) => hub.publishLocal(roomTopic(room), json),
  });
  hub.onPresence((m) => presence.onReport(m.node, m.full, m.ask, m.users));
  hub.onJoin = (userId, room) => void presence.joined(userId, room).catch((e) => log.warn("presence on join failed", { err: String(e) }));
  const endedSessions = new EndedSessions(clock, config.accessTokenTtlSec * 1000);
  hub.onSessionsEnded((ids) => endedSessions.add(ids));
  bus.onReconnect(() => void endedSessions.load(store, log)); // an `ended` message may have been lost
  await endedSessions.load(store, log);
  const limits = countRefusals(overrides.limits ?? (await createRateLimiters(config, clock, log)), metrics);
  const httpLimit = limits.limiter("http-per-user", { burst: config.httpBurst, perSec: config.httpRatePerSec });
  metrics.sample("parley_sockets", "authenticated WebSocket connections on this instance", "gauge", () => hub.socketCount);
  metrics.sample("parley_users_connected", "distinct users with an authenticated WebSocket on this instance", "gauge", () => hub.userCount);
  metrics.sample("parley_commit_batches_total", "write transactions committed (group commit)", "counter", () => writer.stats.batches);
  metrics.sample("parley_events_committed_total", "room events committed", "counter", () => writer.stats.events);
  metrics.sample("parley_write_queue", "events waiting for the writer", "gauge", () => writer.stats.queued);
  const indexing = store.indexing?.bind(store);
  if (indexing) {
    metrics.sample("parley_search_index_seconds_total", "time the search index's passes held the event loop after their commits (libSQL)", "counter", () => indexing().seconds);
    metrics.sample("parley_search_index_rows_total", "events the search index's passes covered (libSQL)", "counter", () => indexing().rows);
  }
  const blobs = overrides.blobs ?? createBlobs(config, store, log);
  return { config, log, clock, ids: overrides.ids ?? randomIds, store, blobs, bus, writer, hub, presence, httpLimit, limits, metrics, jwtKey, endedSessions, sharedVapid: await sharedVapidKeys(config, store) };
}
