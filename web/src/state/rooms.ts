// Sidebar rooms store: the caller's rooms and DMs with unread counts, sorted by recent activity.
import { createMemo } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import type { Role, Room, RoomEvent } from "../../../server/protocol/types";
import { mergeRoomSnapshot } from "./room-snapshot";
import { displayName, rememberUser } from "./users";

const [rooms, setRooms] = createStore<Record<string, Room>>({});
export { rooms };

export const sortedRooms = createMemo(() =>
  Object.values(rooms).sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0) || a.name.localeCompare(b.name)),
);

export function setAllRooms(list: Room[]): void {
  const next: Record<string, Room> = {};
  for (const r of list) {
    rememberUser(r.peer);
    next[r.id] = mergeRoomSnapshot(rooms[r.id], r);
  }
  setRooms(reconcile(next));
}

export function upsertRoom(r: Room): void {
  rememberUser(r.peer);
  const prev = rooms[r.id];
  setRooms(r.id, {
    ...(prev ?? {}),
    ...r,
    unread: r.unread ?? prev?.unread ?? 0,
    lastActivity: r.lastActivity ?? prev?.lastActivity ?? Date.now(),
  });
}

export function removeRoom(id: string): void {
  setRooms(id, undefined!);
}

/** A live event arrived: move the room up and count it as unread unless it is ours or already read. */
export function bumpRoom(ev: RoomEvent, myId: string | undefined, mentioned: boolean): void {
  const r = rooms[ev.room];
  if (!r) return;
  const prevSeq = r.lastSeq ?? 0;
  const isNew = ev.seq > prevSeq;
  const countable = isNew && ev.kind === "message" && ev.sender !== myId && ev.seq > (r.lastReadSeq ?? 0);
  setRooms(ev.room, {
    lastSeq: Math.max(prevSeq, ev.seq),
    lastActivity: Math.max(r.lastActivity ?? 0, ev.ts),
    unread: (r.unread ?? 0) + (countable ? 1 : 0),
    mentions: (r.mentions ?? 0) + (countable && (mentioned || r.kind === "dm") ? 1 : 0),
  });
  if (isNew && ev.kind === "message" && ev.sender === myId) {
    setRooms(ev.room, { lastReadSeq: Math.max(r.lastReadSeq ?? 0, ev.seq), unread: 0, mentions: 0 });
  }
  if (ev.kind === "room") {
    if (ev.name !== undefined) setRooms(ev.room, "name", ev.name);
    if (ev.topic !== undefined) setRooms(ev.room, "topic", ev.topic);
    if (ev.slowModeSec !== undefined) setRooms(ev.room, "slowModeSec", ev.slowModeSec);
    if (ev.messageTtlSec !== undefined) setRooms(ev.room, "messageTtlSec", ev.messageTtlSec);
  }
}

export function markRoomRead(id: string, seq: number): void {
  const r = rooms[id];
  if (!r) return;
  setRooms(id, { lastReadSeq: Math.max(r.lastReadSeq ?? 0, seq), unread: 0, mentions: 0 });
}

export function setRoomRole(id: string, role: Role): void {
  if (rooms[id]) setRooms(id, "role", role);
}

export function setRoomMuted(id: string, muted: boolean): void {
  if (rooms[id]) setRooms(id, "notificationsMuted", muted);
}

export function roomTitle(r: Room | undefined): string {
  if (!r) return "";
  if (r.kind === "dm" && r.peer) return displayName(r.peer.id) || r.peer.displayName || r.peer.username;
  return r.name;
}

export function clearRooms(): void {
  setRooms(reconcile({}));
}
