// NATS core pub/sub bus (the `nats` package): one connection per node, subjects parley.r.<room> / parley.u.<user>.

import { connect, Events, type NatsConnection, type Subscription } from "nats";
import type { Bus, BusMeter } from "../../ports/bus";
import type { Logger } from "../../ports/runtime";
import { createNetworkBus, type Transport, type TransportEvents } from "./network";

/** How long startup waits for NATS: a node that cannot reach the bus at start is most likely misconfigured. */
const STARTUP_WAIT_MS = 5_000;
/** Between reconnect attempts: delivery resumes within about this long of NATS coming back. */
const RECONNECT_WAIT_MS = 500;
const CLOSE_WAIT_MS = 1_000;

export async function createNatsBus(url: string, log: Logger, meter?: BusMeter): Promise<Bus> {
  return createNetworkBus(".", log, (events) => openNats(url, events, log), meter);
}

async function openNats(url: string, ev: TransportEvents, log: Logger): Promise<Transport> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url,
      name: "parley",
      timeout: STARTUP_WAIT_MS,
      // The client gives up after 10 attempts by default: a bus must outlive any outage.
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      noEcho: true, // the network bus delivers a node's own messages to itself
    });
  } catch (e) {
    throw new Error(`bus: cannot reach NATS at ${url.replace(/\/\/[^@/]*@/, "//***@")}: ${String(e)}`);
  }
  const subs = new Map<string, Subscription>();
  /** Resolvers waiting for the next confirmed reconnect (subscriptions made while disconnected). */
  let waiting: (() => void)[] = [];
  // nats.js buffers publishes made while disconnected and sends them after reconnecting; the bus
  // must not deliver late, so publishes are refused between the disconnect and the reconnect.
  let connected = true;
  let closing = false;

  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) {
        if (connected && !closing) log.warn("bus: NATS connection lost; reconnecting", { server: String(s.data) });
        connected = false;
      } else if (s.type === Events.Reconnect) {
        // The client resent every SUB before this event; a flush (PING/PONG) proves the server has them.
        try {
          await nc.flush();
        } catch {
          continue; // dropped again: the next reconnect event comes
        }
        connected = true;
        log.info("bus: NATS reconnected; subscriptions restored", { subjects: subs.size });
        for (const r of waiting.splice(0)) r();
        ev.publisherUp();
        ev.reconnected();
      }
    }
  })();

  const confirmed = async () => {
    try {
      await nc.flush();
    } catch {
      await new Promise<void>((res) => waiting.push(res)); // confirmed by the reconnect
    }
  };

  return {
    publish(channel, data) {
      if (!connected) throw new Error("NATS is not connected");
      nc.publish(channel, data);
    },
    async subscribe(channel) {
      if (!subs.has(channel)) {
        subs.set(channel, nc.subscribe(channel, { callback: (err, m) => void (err ? log.warn("bus: NATS subscription error", { err: String(err) }) : ev.message(m.subject, m.string())) }));
      }
      await confirmed();
    },
    unsubscribe(channel) {
      subs.get(channel)?.unsubscribe();
      subs.delete(channel);
    },
    async close() {
      closing = true;
      for (const r of waiting.splice(0)) r();
      const wait = new Promise((res) => setTimeout(res, CLOSE_WAIT_MS).unref());
      await Promise.race([nc.close().catch(() => undefined), wait]);
    },
  };
}
