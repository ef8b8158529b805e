// Bus port: fans committed room events (and per-user signals) out to every instance's hub.

/** What travels on the bus: routing fields plus the event serialized once. */
export interface BusMessage {
  /** Room id for room events and room-scoped signals (typing, receipt); absent for user-scoped ones. */
  room?: string;
  /** Set for stored room events; the hub delivers them to sockets strictly in seq order. */
  seq?: number;
  /** Member changes make the hub (un)subscribe that user's local sockets. */
  member?: { userId: string; change: string };
  /** User-scoped signals (notifications, forced disconnects). */
  user?: string;
  /** With `user`: close that user's sockets on every instance (deactivation). */
  close?: { code: number; reason: string };
  /** The complete server frame as JSON text, built once by the publisher. */
  json: string;
}

/**
 * Guarantee: at-most-once, best effort, per-publisher order. A message can be lost (a Redis
 * reconnect, a slow node); the store is the source of truth and the hub fills any seq hole
 * from it, so a lost bus message delays delivery but never loses an event.
 */
export interface Bus {
  publish(msg: BusMessage): void;
  /** One subscriber per process: the hub. */
  subscribe(handler: (msg: BusMessage) => void): void;
  close(): Promise<void>;
}
