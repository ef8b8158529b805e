// Room changes over HTTP (create, join, leave, DM, add people, settings, moderation, roles, notification mute): call the API, then update the stores. Errors reject as ApiError.
import type { Room } from "../../../server/protocol/types";
import { api } from "../lib/api";
import { loadMembers } from "./members";
import { navigate } from "./route";
import { removeRoom, rooms, setAllRooms, setRoomMuted, setRoomRole, upsertRoom } from "./rooms";

let refreshing: Promise<void> | undefined;

/** Re-read the room list soon (a DM or invite we did not know about); coalesces bursts. */
export function refreshRoomsSoon(): Promise<void> {
  refreshing ??= new Promise<void>((r) => setTimeout(r, 150))
    .then(() => api.rooms())
    .then((r) => setAllRooms(r.rooms))
    .catch(() => undefined)
    .finally(() => (refreshing = undefined));
  return refreshing;
}

export async function createRoom(name: string, kind: "public" | "private", topic: string): Promise<Room> {
  const { room } = await api.createRoom(name, kind, topic);
  upsertRoom({ ...room, role: room.role ?? "owner", unread: 0, lastActivity: Date.now() });
  return room;
}

export async function joinRoom(r: Room): Promise<Room> {
  const { room } = await api.join(r.id);
  upsertRoom({ ...r, ...room, unread: 0, lastActivity: Date.now() });
  return room;
}

export async function leaveRoom(id: string): Promise<void> {
  await api.leave(id);
  removeRoom(id);
  navigate(null, true);
}

export async function openDm(username: string): Promise<Room> {
  const { room } = await api.dm(username);
  upsertRoom({ ...room, unread: room.unread ?? 0, lastActivity: room.lastActivity ?? Date.now() });
  return room;
}

export const addMember = (room: string, username: string) => api.invite(room, username);

export async function saveRoomSettings(prev: Room, patch: { name?: string; topic?: string; slowModeSec?: number; messageTtlSec?: number }): Promise<void> {
  const { room } = await api.updateRoom(prev.id, patch);
  upsertRoom({ ...prev, ...room, role: prev.role, unread: prev.unread, mentions: prev.mentions, notificationsMuted: prev.notificationsMuted });
}

/** A moderation or role change on a member, then the member list is read again. */
async function onMember(room: string, call: Promise<unknown>): Promise<void> {
  await call;
  await loadMembers(room, true);
}

export const kick = (room: string, userId: string) => onMember(room, api.kick(room, userId));
export const ban = (room: string, userId: string) => onMember(room, api.ban(room, userId));
/** Silence a member for `seconds` (0 lifts it). */
export const silence = (room: string, userId: string, seconds: number) => onMember(room, api.mute(room, userId, seconds));
export const setMemberRole = (room: string, userId: string, role: "admin" | "member") => onMember(room, api.setRole(room, userId, role));

/** Hand the room to another member: they become owner, we become admin. */
export async function transferOwnership(room: string, userId: string): Promise<void> {
  await onMember(room, api.transferOwner(room, userId));
  setRoomRole(room, "admin");
}

/** Mute or unmute a room's notifications (optimistic; reverted on failure). */
export async function toggleRoomMute(room: string): Promise<void> {
  const r = rooms[room];
  if (!r) return;
  const next = !r.notificationsMuted;
  setRoomMuted(room, next);
  try {
    await api.muteNotifications(room, next);
  } catch (e) {
    setRoomMuted(room, !next);
    throw e;
  }
}
