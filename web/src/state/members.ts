// Room members (role, mute) from GET /api/rooms/:id/members, kept current by member events; read marks go to the receipts store.
import { createStore } from "solid-js/store";
import type { MemberEvent, Role } from "../../../server/protocol/types";
import { api } from "../lib/api";
import { onReceipt } from "./activity";
import { applyPresence, rememberUser } from "./users";

export interface MemberInfo {
  userId: string;
  role: Role;
  silencedUntil: number | null;
}

const [members, setMembers] = createStore<Record<string, Record<string, MemberInfo>>>({});
export { members };
const inFlight = new Map<string, Promise<void>>();

/** Fetch (or refetch) a room's member list. Concurrent calls share one request. */
export function loadMembers(room: string, force = false): Promise<void> {
  if (!force && members[room]) return Promise.resolve();
  let p = inFlight.get(room);
  if (p) return p;
  p = api
    .members(room)
    .then(({ members: list }) => {
      const next: Record<string, MemberInfo> = {};
      for (const m of list) {
        rememberUser(m.user);
        if (m.presence) applyPresence({ ...m.presence, userId: m.user.id });
        onReceipt(room, m.user.id, m.readSeq ?? 0, m.deliveredSeq ?? 0);
        next[m.user.id] = { userId: m.user.id, role: m.role, silencedUntil: m.silencedUntil ?? null };
      }
      setMembers(room, next);
    })
    .catch(() => undefined)
    .finally(() => inFlight.delete(room));
  inFlight.set(room, p);
  return p;
}

export function memberList(room: string): MemberInfo[] {
  return Object.values(members[room] ?? {});
}

export function memberCount(room: string): number | undefined {
  const m = members[room];
  return m ? Object.keys(m).length : undefined;
}

/** Keep a loaded member list in step with the log. */
export function onMemberEvent(ev: MemberEvent): void {
  rememberUser(ev.user);
  if (!members[ev.room]) return;
  switch (ev.change) {
    case "role": {
      // A role change or an ownership handover (the new owner's event; the old owner becomes admin).
      const role = ev.role;
      if (!role || !members[ev.room][ev.userId]) return;
      if (role === "owner") for (const m of Object.values(members[ev.room])) if (m.role === "owner") setMembers(ev.room, m.userId, "role", "admin");
      setMembers(ev.room, ev.userId, "role", role);
      return;
    }
    case "join":
    case "invite":
      if (!members[ev.room][ev.userId]) setMembers(ev.room, ev.userId, { userId: ev.userId, role: "member", silencedUntil: null });
      onReceipt(ev.room, ev.userId, ev.seq);
      return;
    case "leave":
    case "kick":
    case "ban":
      setMembers(ev.room, ev.userId, undefined!);
      return;
    case "mute":
      if (members[ev.room][ev.userId]) setMembers(ev.room, ev.userId, "silencedUntil", ev.until ?? null);
      return;
  }
}

export function forgetMembers(room?: string): void {
  if (room) setMembers(room, undefined!);
  else for (const k of Object.keys(members)) setMembers(k, undefined!);
}
