// Bus port: fans committed room events and ephemeral signals out to the hub of every node that needs them.

import type { MemberChange, PresenceStatus } from "../protocol/types";

/** What one node says of one of its users: their status there ("offline": gone from that node) and their rooms. */
export interface PresenceReport {
  userId: string;
  status: PresenceStatus;
  /** A socket of theirs is open on that node (false during the grace after the last one closed). */
  connected: boolean;
  lastSeen: number;
  rooms: string[];
}

/** What travels on the bus. `json` is always a complete server frame, serialized once by the publisher. */
export type BusMessage =
  /** A stored room event: hubs hand these to sockets strictly in seq order and fill holes from the store. */
  | { kind: "event"; room: string; seq: number; member?: { userId: string; change: MemberChange }; json: string }
  /** An ephemeral frame for a room's sockets (typing, receipt, presence): never stored, so never repaired. */
  | { kind: "room"; room: string; json: string }
  /** An ephemeral frame for one user's sockets (notification, presence of peers). */
  | { kind: "user"; user: string; json: string }
  /** Close every socket of the user on every node (deactivation). */
  | { kind: "close"; user: string; code: number; reason: string }
  /** The room's send policy changed in the store (mute, slow mode): every node drops its cached copy. */
  | { kind: "policy"; room: string }
  /** These sessions of the user ended: every node refuses their access tokens and closes their sockets (4001). */
  | { kind: "ended"; user: string; sessions: string[] }
  /**
   * A node's presence reports (realtime/presence.ts): every node keeps every node's view. `full`: the
   * node's whole list (users it no longer names left it); `ask`: answer with your own whole list.
   */
  | { kind: "presence"; node: string; full: boolean; ask: boolean; users: PresenceReport[] };

/** Every kind of BusMessage, as values (the bus metrics count by kind); a new kind does not compile until listed. */
export const BUS_KINDS = Object.keys({ event: 1, room: 1, user: 1, close: 1, policy: 1, ended: 1, presence: 1 } satisfies Record<BusMessage["kind"], 1>) as BusMessage["kind"][];

/** What a bus adapter reports to the metrics (metrics.ts `busMeter`); adapters made without one report nothing. */
export interface BusMeter {
  /** One publish() call (a member event sent on two channels is one publish). */
  published(kind: BusMessage["kind"]): void;
  /** A message from the broker handed to the handler; `sentAtMs`: its publisher's clock at publish, when it carries one. */
  received(kind: BusMessage["kind"], sentAtMs: number | undefined): void;
}

/**
 * Delivery, per node: a node's handler gets
 * - `event` while the node watches its room, and also while it watches `member.userId` (a joining
 *   user's sockets may sit on a node that does not watch the room yet);
 * - `room` while it watches the room; `user` and `close` while it watches the user; `policy`, `ended` and `presence` always;
 * - each publish at most once (a member event sent on two channels still arrives once), in the order
 *   one publisher published (per-publisher order; no order between publishers).
 * The publishing node's own handler gets a message synchronously inside `publish` when it watches
 * the target, without a broker round trip.
 *
 * Loss: at-most-once. A network bus can drop messages (a broker restart, a publish while
 * disconnected). The store is the source of truth: the hub fills seq holes from it, and compares its
 * watched rooms with the store on `onReconnect` and periodically, so a lost event is late, never lost.
 * Ephemeral signals (typing, receipts, presence, notifications) can be lost outright.
 */
export interface Bus {
  /**
   * Hands `msg` to the broker once per publish (a member event: once on the room's channel and once on
   * the user's). Never throws and never waits; a publish that cannot be sent now is dropped and
   * logged, never queued to be sent late.
   */
  publish(msg: BusMessage): void;
  /** One handler per process: the hub. */
  subscribe(handler: (msg: BusMessage) => void): void;
  /**
   * Starts receiving the room's messages. Resolves once the broker confirmed the subscription: every
   * message published after that reaches the handler (barring loss). Idempotent per room.
   */
  watchRoom(room: string): Promise<void>;
  unwatchRoom(room: string): void;
  /** As watchRoom, for one user's messages. */
  watchUser(user: string): Promise<void>;
  unwatchUser(user: string): void;
  /**
   * Runs `cb` whenever this node may have missed messages: its connection came back with every watch
   * confirmed again, or a peer reports publishes it could not send. The hub then checks the store.
   */
  onReconnect(cb: () => void): void;
  /**
   * false for the in-process bus: it delivers every publish synchronously and cannot lose one, so the
   * hub skips its periodic comparison with the store (the single binary does no extra work).
   */
  readonly canLose: boolean;
  /** Stops delivery and releases the connections; resolves even while the broker is unreachable. */
  close(): Promise<void>;
}
