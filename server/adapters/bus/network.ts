// Network bus core, shared by the Redis and NATS adapters: channels, wire format, local delivery, echo and duplicate suppression.

import type { Bus, BusMessage, BusMeter, PresenceReport } from "../../ports/bus";
import type { Logger } from "../../ports/runtime";

/** What a broker client must do; everything else about the bus is the same for every broker. */
export interface Transport {
  /** Sends now. Throws or rejects when not connected: a message is never queued to go out late. */
  publish(channel: string, data: string): Promise<unknown> | void;
  /** Resolves once the broker confirmed the subscription. Subscriptions are restored after a reconnect. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): void;
  /** Resolves even while the broker is unreachable. */
  close(): Promise<void>;
}

export interface TransportEvents {
  message(channel: string, data: string): void;
  /** Connected again after an outage, every subscription confirmed again. */
  reconnected(): void;
  /** The publishing connection is usable (again). */
  publisherUp(): void;
}

/** The notice a node broadcasts when it can publish again after dropping publishes: peers check the store. */
const LOST = "lost";
/** Member events go out on two channels; a node that watches both must still deliver once. */
const RECENT_IDS_MAX = 4096;

/**
 * Channels: one per room (`parley:r:<id>`), one per user (`parley:u:<id>`), one broadcast
 * (`parley:all`: policy changes, lost-publish notices). Room and user ids are the server's own
 * 16-character alphanumeric ids, so they are safe in Redis channel names and NATS subject tokens.
 *
 * Why a channel per room, rather than one channel per node with routing at the publisher (or one
 * channel every node filters): the broker routes by channel, a message goes to it once however many
 * nodes want it, and no table of which node watches which room has to be kept consistent between
 * nodes (the "watch before reading the store" rule would become a distributed protocol). Measured
 * once on this machine (Redis 7 on loopback, 2 shared and busy cores, 4 subscriber processes, 1,000
 * rooms, ~330-byte messages, two alternating runs per variant; a script outside the repository):
 * - each node watching 250 of the rooms, 100,000 publishes: per-room channels 19–36k publishes/s,
 *   each node 622–739 ms CPU for its 25,000 messages; per-node channels with a free, static routing
 *   table about the same (24–32k/s, 593–715 ms); one shared channel 9–22k/s, and every node received
 *   all 100,000 and spent 1,018–1,278 ms CPU to keep the same 25,000.
 * - every node watching every room, 50,000 publishes: per-node routing must publish each message 4
 *   times: Redis 779–1,116 ms CPU and the publisher 2,201–3,192 ms, against 390–411 ms and
 *   913–1,381 ms with per-room channels.
 * Subscribing 250 channels in one command took 13–89 ms.
 */
export async function createNetworkBus(sep: string, log: Logger, open: (events: TransportEvents) => Promise<Transport>, meter?: BusMeter): Promise<Bus> {
  // Every message names its node: a node's own copies coming back from the broker are dropped (it
  // delivered them to itself synchronously inside publish, without waiting on the broker).
  const node = crypto.randomUUID();
  const roomChannel = (id: string) => `parley${sep}r${sep}${id}`;
  const userChannel = (id: string) => `parley${sep}u${sep}${id}`;
  const ALL = `parley${sep}all`;
  const rooms = new Map<string, Promise<void>>();
  const users = new Map<string, Promise<void>>();
  const recent = new Set<string>();
  const reconnectCbs: (() => void)[] = [];
  let handler: ((msg: BusMessage) => void) | undefined;
  let nextId = 0;
  let failed = 0;
  let closed = false;

  const wanted = (m: BusMessage): boolean => {
    switch (m.kind) {
      case "event":
        return rooms.has(m.room) || (m.member !== undefined && users.has(m.member.userId));
      case "room":
        return rooms.has(m.room);
      case "user":
      case "close":
        return users.has(m.user);
      case "policy":
      case "presence":
      case "ended":
        return true;
    }
  };

  function reconnected() {
    for (const cb of reconnectCbs) cb();
  }

  function onMessage(_channel: string, data: string) {
    if (closed) return;
    const got = decode(data);
    if (!got) return log.warn("bus: ignored a message that is not ours", { bytes: data.length });
    if (got.node === node) return; // our own echo: delivered inside publish()
    if (got.msg === LOST) return reconnected();
    if (!wanted(got.msg)) return; // a message still in flight when we unwatched
    if (got.id !== 0) {
      const key = got.node + ":" + got.id;
      if (recent.has(key)) return;
      recent.add(key);
      if (recent.size > RECENT_IDS_MAX) recent.delete(recent.values().next().value!);
    }
    meter?.received(got.msg.kind, got.sentAt);
    handler?.(got.msg);
  }

  function fail(err: unknown) {
    if (failed++ === 0) log.warn("bus: publish failed; dropping publishes until the bus is back (the store fills the holes)", { err: String(err) });
  }

  function send(channel: string, data: string) {
    try {
      const p = t.publish(channel, data);
      if (p) p.catch(fail);
    } catch (e) {
      fail(e);
    }
  }

  function publisherUp() {
    if (failed === 0 || closed) return;
    log.info("bus: publishing again; peers will check the store for what was dropped", { dropped: failed });
    failed = 0;
    // Peers cannot tell a dropped publish from silence: tell them to compare with the store.
    send(ALL, JSON.stringify([node, 0, LOST]) + "\n");
  }

  function watch(map: Map<string, Promise<void>>, id: string, channel: string): Promise<void> {
    let p = map.get(id);
    if (!p) map.set(id, (p = closed ? Promise.resolve() : t.subscribe(channel)));
    return p;
  }

  function unwatch(map: Map<string, Promise<void>>, id: string, channel: string) {
    if (map.delete(id) && !closed) t.unsubscribe(channel);
  }

  const t = await open({ message: onMessage, reconnected, publisherUp });
  try {
    await t.subscribe(ALL);
  } catch (e) {
    await t.close();
    throw e;
  }

  return {
    canLose: true,
    publish(msg) {
      if (closed) return;
      const id = msg.kind === "event" && msg.member ? ++nextId : 0;
      const data = encode(node, id, msg, Date.now());
      meter?.published(msg.kind);
      switch (msg.kind) {
        case "event":
          send(roomChannel(msg.room), data);
          if (msg.member) send(userChannel(msg.member.userId), data);
          break;
        case "room":
          send(roomChannel(msg.room), data);
          break;
        case "user":
        case "close":
          send(userChannel(msg.user), data);
          break;
        case "policy":
        case "presence":
        case "ended":
          send(ALL, data);
          break;
        default:
          msg satisfies never; // a new kind needs a channel here, a case in wanted() and in the wire format below
      }
      if (wanted(msg)) handler?.(msg);
    },
    subscribe(h) {
      handler = h;
    },
    watchRoom: (room) => watch(rooms, room, roomChannel(room)),
    unwatchRoom: (room) => unwatch(rooms, room, roomChannel(room)),
    watchUser: (user) => watch(users, user, userChannel(user)),
    unwatchUser: (user) => unwatch(users, user, userChannel(user)),
    onReconnect(cb) {
      reconnectCbs.push(cb);
    },
    async close() {
      if (closed) return;
      closed = true;
      handler = undefined;
      await t.close();
    },
  };
}

// ---- wire format: a JSON header line (node, dedupe id, kind, routing fields, publish time in ms),
// then the frame as is. The publish time comes last, so every other field stays where a node of an
// earlier version reads it (it ignores the extra one); every kind's last routing field is a string,
// null or boolean, so a trailing number is always the publish time (metrics: parley_bus_lag_seconds).

function encode(node: string, id: number, m: BusMessage, sentAt: number): string {
  switch (m.kind) {
    case "event":
      return JSON.stringify([node, id, m.kind, m.room, m.seq, m.member?.userId ?? null, m.member?.change ?? null, sentAt]) + "\n" + m.json;
    case "room":
      return JSON.stringify([node, id, m.kind, m.room, sentAt]) + "\n" + m.json;
    case "user":
      return JSON.stringify([node, id, m.kind, m.user, sentAt]) + "\n" + m.json;
    case "close":
      return JSON.stringify([node, id, m.kind, m.user, m.code, m.reason, sentAt]) + "\n";
    case "policy":
      return JSON.stringify([node, id, m.kind, m.room, sentAt]) + "\n";
    case "ended":
      return JSON.stringify([node, id, m.kind, m.user, sentAt]) + "\n" + JSON.stringify(m.sessions);
    case "presence":
      return JSON.stringify([node, id, m.kind, m.node, m.full, m.ask, sentAt]) + "\n" + JSON.stringify(m.users);
  }
}

function decode(data: string): { node: string; id: number; msg: BusMessage | typeof LOST; sentAt: number | undefined } | undefined {
  const nl = data.indexOf("\n");
  if (nl < 0) return undefined;
  let h: unknown[];
  try {
    h = JSON.parse(data.slice(0, nl));
  } catch {
    return undefined;
  }
  if (!Array.isArray(h) || typeof h[0] !== "string" || typeof h[1] !== "number") return undefined;
  const json = data.slice(nl + 1);
  const [node, id, kind] = h as [string, number, string];
  const s = (i: number) => (typeof h[i] === "string" ? (h[i] as string) : undefined);
  let msg: BusMessage | typeof LOST | undefined;
  switch (kind) {
    case "event": {
      const room = s(3);
      if (room === undefined || typeof h[4] !== "number") return undefined;
      const userId = s(5);
      msg = userId !== undefined ? { kind, room, seq: h[4], member: { userId, change: h[6] as never }, json } : { kind, room, seq: h[4], json };
      break;
    }
    case "room":
      msg = s(3) !== undefined ? { kind, room: s(3)!, json } : undefined;
      break;
    case "user":
      msg = s(3) !== undefined ? { kind, user: s(3)!, json } : undefined;
      break;
    case "close":
      msg = s(3) !== undefined && typeof h[4] === "number" ? { kind, user: s(3)!, code: h[4], reason: s(5) ?? "" } : undefined;
      break;
    case "policy":
      msg = s(3) !== undefined ? { kind, room: s(3)! } : undefined;
      break;
    case "ended": {
      let sessions: unknown;
      try {
        sessions = JSON.parse(json);
      } catch {
        return undefined;
      }
      msg = s(3) !== undefined && Array.isArray(sessions) && sessions.every((x) => typeof x === "string") ? { kind, user: s(3)!, sessions } : undefined;
      break;
    }
    case "presence": {
      let users: unknown;
      try {
        users = JSON.parse(json);
      } catch {
        return undefined;
      }
      msg = s(3) !== undefined && Array.isArray(users) ? { kind, node: s(3)!, full: h[4] === true, ask: h[5] === true, users: users as PresenceReport[] } : undefined;
      break;
    }
    case LOST:
      msg = LOST;
      break;
  }
  const last = h[h.length - 1];
  return msg === undefined ? undefined : { node, id, msg, sentAt: typeof last === "number" ? last : undefined };
}
