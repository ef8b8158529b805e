// Known users (id → User), their presence and last-seen time, fed by welcome, DM peers, member events, the members endpoint and presence frames.
import { createStore } from "solid-js/store";
import type { PresenceInfo, PresenceStatus, User } from "../../../server/protocol/types";


const [users, setUsers] = createStore<Record<string, User>>({});
const [presence, setPresence] = createStore<Record<string, PresenceStatus>>({});
const [lastSeen, setLastSeen] = createStore<Record<string, number>>({});
export { users, presence, lastSeen };

export function rememberUser(u: User | undefined | null): void {
  if (!u || !u.id) return;
  const prev = users[u.id];
  if (prev && prev.username === u.username && prev.displayName === u.displayName && prev.avatarUrl === u.avatarUrl) return;
  setUsers(u.id, { id: u.id, username: u.username ?? prev?.username ?? "", displayName: u.displayName ?? "", avatarUrl: u.avatarUrl || undefined, isAdmin: !!u.isAdmin });
}

export function avatarUrl(id: string): string | undefined {
  return users[id]?.avatarUrl;
}

export function setStatus(userId: string, status: PresenceStatus): void {
  setPresence(userId, status);
}

/** A presence frame or entry: status plus when the user was last seen (ms; 0 = unknown). */
export function applyPresence(p: Partial<PresenceInfo> & { userId: string }): void {
  if (p.status) setPresence(p.userId, p.status);
  if (p.lastSeen) setLastSeen(p.userId, p.lastSeen);
}

export function displayName(id: string): string {
  const u = users[id];
  if (!u) return "Someone";
  return u.displayName?.trim() || u.username || "Someone";
}

export function username(id: string): string | undefined {
  return users[id]?.username;
}

export function resetUsers(): void {
  setUsers({});
  for (const k of Object.keys(presence)) setPresence(k, undefined!);
  for (const k of Object.keys(lastSeen)) setLastSeen(k, undefined!);
}
