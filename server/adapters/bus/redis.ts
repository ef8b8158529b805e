// Redis pub/sub bus (ioredis): one subscribing and one publishing connection per node.

import Redis, { type RedisOptions } from "ioredis";
import type { Bus, BusMeter } from "../../ports/bus";
import type { Logger } from "../../ports/runtime";
import { createNetworkBus, type Transport, type TransportEvents } from "./network";

/** How long startup waits for Redis: a node that cannot reach the bus at start is most likely misconfigured. */
const STARTUP_WAIT_MS = 5_000;
/** Reconnect backoff cap: delivery resumes within about this long of Redis coming back. */
const RECONNECT_MAX_MS = 1_000;
const CLOSE_WAIT_MS = 1_000;

/**
 * ioredis, not Bun's RedisClient: Bun's client reconnects after a Redis restart but does not
 * resubscribe (it then delivers nothing, silently) and gives up 31 s into an outage. ioredis
 * retries forever with backoff, and this transport resubscribes itself on every reconnect.
 */
export async function createRedisBus(url: string, log: Logger, meter?: BusMeter): Promise<Bus> {
  return createNetworkBus(":", log, (events) => openRedis(url, events, log), meter);
}

async function openRedis(url: string, ev: TransportEvents, log: Logger): Promise<Transport> {
  const common: RedisOptions = {
    retryStrategy: (times) => Math.min(times * 100, RECONNECT_MAX_MS),
    // This transport restores subscriptions itself, then reports the reconnect (see "ready" below).
    autoResubscribe: false,
  };
  // SUBSCRIBEs issued during an outage wait for the reconnect instead of failing after 20 retries.
  const sub = new Redis(url, { ...common, connectionName: "parley-bus-sub", maxRetriesPerRequest: null });
  // A publish while Redis is away fails at once and is never sent late: no offline queue, and no
  // resending of publishes that were in flight when the connection dropped.
  const pub = new Redis(url, { ...common, connectionName: "parley-bus-pub", enableOfflineQueue: false, autoResendUnfulfilledCommands: false });
  const channels = new Set<string>();
  let closing = false;
  let subReadyOnce = false;
  let down = false;

  function lost(which: string) {
    return (err?: Error) => {
      if (closing || down) return;
      down = true;
      log.warn("bus: Redis connection lost; reconnecting", { connection: which, err: err ? String(err) : undefined });
    };
  }
  sub.on("error", lost("subscriber"));
  pub.on("error", lost("publisher"));
  sub.on("close", () => lost("subscriber")());
  pub.on("close", () => lost("publisher")());
  sub.on("message", (channel: string, data: string) => ev.message(channel, data));
  sub.on("ready", () => {
    if (!subReadyOnce) return void (subReadyOnce = true);
    // Every channel again, in one command: its reply is the point from which nothing is missed.
    sub.subscribe(...channels).then(
      () => {
        if (closing) return;
        if (down) log.info("bus: Redis reconnected; subscriptions restored", { channels: channels.size });
        down = false;
        ev.reconnected();
      },
      (err) => log.warn("bus: resubscribe failed", { err: String(err) }),
    );
  });
  pub.on("ready", () => ev.publisherUp());

  const ready = (r: Redis) => (r.status === "ready" ? Promise.resolve() : new Promise<void>((res) => r.once("ready", () => res())));
  const timer = new Promise<"timeout">((res) => setTimeout(() => res("timeout"), STARTUP_WAIT_MS).unref());
  if ((await Promise.race([Promise.all([ready(sub), ready(pub)]), timer])) === "timeout") {
    closing = true;
    sub.disconnect();
    pub.disconnect();
    throw new Error(`bus: cannot reach Redis at ${redact(url)} within ${STARTUP_WAIT_MS} ms`);
  }

  return {
    publish: (channel, data) => pub.publish(channel, data),
    async subscribe(channel) {
      channels.add(channel);
      await sub.subscribe(channel);
    },
    unsubscribe(channel) {
      channels.delete(channel);
      sub.unsubscribe(channel).catch(() => undefined); // gone with the connection anyway
    },
    async close() {
      closing = true;
      sub.disconnect();
      // QUIT lets publishes already written reach Redis; bounded, since Redis may be gone.
      const wait = new Promise((res) => setTimeout(res, CLOSE_WAIT_MS).unref());
      await Promise.race([pub.quit().catch(() => undefined), wait]);
      pub.disconnect();
    },
  };
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}
