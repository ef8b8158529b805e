// Server frames, built in one place and typed against ServerFrame, and the only functions that put messages on the bus.

import type { Bus, PresenceReport } from "../ports/bus";
import type { ErrorCode, PresenceInfo, RoomEvent, ServerFrame } from "../protocol/types";

type Frame<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;
type Fields<T extends ServerFrame["type"]> = Omit<Frame<T>, "type">;

/** A server frame as JSON text. The brand keeps hand-made strings off the bus and off the sockets. */
export type FrameJson = string & { readonly __serverFrame: true };

const frame = <T extends ServerFrame["type"]>(f: Frame<T>) => JSON.stringify(f) as FrameJson;

/** Every server frame type, commonest first (frameTypeOf tries them in this order); a new type does not compile until listed. */
export const SERVER_FRAME_TYPES = Object.keys({
  event: 1, ok: 1, typing: 1, receipt: 1, marks: 1, presence: 1, pong: 1, error: 1, notification: 1, user: 1, gap: 1, welcome: 1,
} satisfies Record<ServerFrame["type"], 1>) as ServerFrame["type"][];

const TYPE_AT = '{"type":"'.length;
const prefixKey = (s: string, at: number) => (s.charCodeAt(at) << 16) | s.charCodeAt(at + 1);
/** Server frame types by their first two letters, which tell them apart (checked here, at start-up). */
const BY_PREFIX = new Map(SERVER_FRAME_TYPES.map((t) => [prefixKey(t, 0), t]));
if (BY_PREFIX.size !== SERVER_FRAME_TYPES.length) throw new Error("two server frame types share their first two letters: frameTypeOf needs more");

/**
 * The type of a frame built here (metrics count frames out by type), read without parsing or
 * allocating: every builder above writes `type` as the first key (`frame()` gets object literals
 * that start with it). "other" for anything else.
 */
export function frameTypeOf(json: string): ServerFrame["type"] | "other" {
  return BY_PREFIX.get(prefixKey(json, TYPE_AT)) ?? "other";
}

// ---- frames

/** `eventJson` is the event serialized once (by the writer, or from a store row): wrapped, never parsed again. */
export const eventFrame = (eventJson: string) => `{"type":"event","event":${eventJson}}` as FrameJson;

export const storedEventFrame = (e: RoomEvent) => eventFrame(JSON.stringify(e));

export const gapFrame = (room: string, fromSeq: number, toSeq: number) => frame<"gap">({ type: "gap", room, fromSeq, toSeq });

export const typingFrame = (room: string, userId: string, expiresAt: number) => frame<"typing">({ type: "typing", room, userId, expiresAt });

/** `delivered`: the member's delivered mark (protocol 1.2); a read mark implies delivery up to `seq`. */
export const receiptFrame = (room: string, userId: string, seq: number, delivered = seq) =>
  frame<"receipt">({ type: "receipt", room, userId, seq, delivered: Math.max(delivered, seq) });

/** Several members' receipts in one frame (delivered marks that moved within one interval: realtime/delivered.ts). */
export const marksFrame = (room: string, marks: Fields<"marks">["marks"]) => frame<"marks">({ type: "marks", room, marks });

export const presenceFrame = (p: PresenceInfo) => frame<"presence">({ type: "presence", userId: p.userId, status: p.status, lastSeen: p.lastSeen });

export const notificationFrame = (n: Fields<"notification">) =>
  frame<"notification">({ type: "notification", kind: n.kind, room: n.room, seq: n.seq, sender: n.sender, body: n.body });

export const userFrame = (user: Fields<"user">["user"]) => frame<"user">({ type: "user", user });

export const welcomeFrame = (w: Fields<"welcome">) => frame<"welcome">({ type: "welcome", ...w });

export function errorFrame(id: string | undefined, code: ErrorCode, message: string, more: { retryAfterMs?: number; room?: string } = {}): FrameJson {
  const f: Frame<"error"> = { type: "error", code, message };
  if (id !== undefined) f.id = id;
  if (more.retryAfterMs !== undefined) f.retryAfterMs = more.retryAfterMs;
  if (more.room !== undefined) f.room = more.room;
  return frame<"error">(f);
}

/**
 * The reply to a request. `eventJson` / `eventsJson` are JSON text already made (the writer's string,
 * a history page): the ack on the send path costs no second serialization of the event.
 */
export function okFrame(id: string | undefined, body: { eventJson?: string; eventsJson?: string; hasMore?: boolean; seq?: number } = {}): FrameJson {
  let s = '{"type":"ok"';
  if (id !== undefined) s += ',"id":' + JSON.stringify(id);
  if (body.eventJson !== undefined) s += ',"event":' + body.eventJson;
  if (body.eventsJson !== undefined) s += ',"events":' + body.eventsJson + ',"hasMore":' + (body.hasMore === true);
  if (body.seq !== undefined) s += ',"seq":' + body.seq;
  return (s + "}") as FrameJson;
}

export const pongFrame = (id: string | undefined, serverTime: number) =>
  ((id !== undefined ? `{"type":"pong","id":${JSON.stringify(id)}` : '{"type":"pong"') + `,"serverTime":${serverTime}}`) as FrameJson;

// ---- publishing: every BusMessage is built here

/** A committed room event, after its transaction (the writer calls this in seq order). */
export function publishEvent(bus: Bus, w: { event: RoomEvent; eventJson: string }): void {
  const e = w.event;
  bus.publish(
    e.kind === "member"
      ? { kind: "event", room: e.room, seq: e.seq, member: { userId: e.userId, change: e.change }, json: eventFrame(w.eventJson) }
      : { kind: "event", room: e.room, seq: e.seq, json: eventFrame(w.eventJson) },
  );
}

/** An ephemeral frame for the sockets in a room, on every node. */
export function publishRoomSignal(bus: Bus, room: string, json: FrameJson): void {
  bus.publish({ kind: "room", room, json });
}

/** An ephemeral frame for one user's sockets, on every node. */
export function publishUserSignal(bus: Bus, user: string, json: FrameJson): void {
  bus.publish({ kind: "user", user, json });
}

/** Closes every socket of the user on every node. */
export function closeUser(bus: Bus, user: string, code: number, reason: string): void {
  bus.publish({ kind: "close", user, code, reason });
}

/** These sessions of the user ended: every node refuses their access tokens and closes their sockets. */
export function sessionsEnded(bus: Bus, user: string, sessions: string[]): void {
  if (sessions.length > 0) bus.publish({ kind: "ended", user, sessions });
}

/**
 * Every node drops its cached send policy of the room. Publish it after the store holds the new
 * policy and before the event that announces it: a node that shows the event has dropped the cache.
 */
export function policyChanged(bus: Bus, room: string): void {
  bus.publish({ kind: "policy", room });
}

/** This node's presence reports, to every node (realtime/presence.ts). */
export function publishPresence(bus: Bus, node: string, users: PresenceReport[], opts: { full?: boolean; ask?: boolean } = {}): void {
  bus.publish({ kind: "presence", node, full: opts.full ?? false, ask: opts.ask ?? false, users });
}
