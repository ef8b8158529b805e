// Known users (id → User) and their presence, fed by welcome, DM peers, member events and presence frames.
import { createStore } from "solid-js/store";
import type { PresenceStatus, User } from "../../../server/protocol/types";

const [users, setUsers] = createStore<Record<string, User>>({});
const [presence, setPresence] = createStore<Record<string, PresenceStatus>>({});
export { users, presence };

export function rememberUser(u: User | undefined | null): void {
  if (!u || !u.id) return;
  const prev = users[u.id];
  if (prev && prev.username === u.username && prev.displayName === u.displayName) return;
  setUsers(u.id, { id: u.id, username: u.username ?? prev?.username ?? "", displayName: u.displayName ?? "" });
}

export function setStatus(userId: string, status: PresenceStatus): void {
  setPresence(userId, status);
}

export function displayName(id: string): string {
  const u = users[id];
  const fallback = `Member ${String(id).slice(-4)}`;
  if (!u) return fallback;
  return u.displayName?.trim() || u.username || fallback;
}

export function username(id: string): string | undefined {
  return users[id]?.username;
}

/** Pull users out of whatever shape a members endpoint returns (best effort). */
export function rememberMembers(payload: unknown): void {
  const list = Array.isArray(payload)
    ? payload
    : payload && typeof payload === "object"
      ? ((payload as Record<string, unknown>).members ?? (payload as Record<string, unknown>).users)
      : undefined;
  if (!Array.isArray(list)) return;
  for (const m of list) {
    if (!m || typeof m !== "object") continue;
    const rec = m as Record<string, unknown>;
    const u = (rec.user as User | undefined) ?? (rec as unknown as User);
    if (typeof u.id === "string" && typeof u.username === "string") rememberUser(u);
    const st = rec.status ?? rec.presence;
    if (typeof u.id === "string" && typeof st === "string") setStatus(u.id, st as PresenceStatus);
  }
}

export function resetUsers(): void {
  setUsers({});
  for (const k of Object.keys(presence)) setPresence(k, undefined!);
}
