// Server administration (1.1, server admins): the user list with search and paging, account actions, invites. Errors reject as ApiError.
import { createStore, produce } from "solid-js/store";
import { api, type AdminUser, type Invite } from "../lib/api";
import { applyUser } from "./me";

const PAGE = 25;

interface UserList {
  q: string;
  list: AdminUser[];
  next?: string;
  loading: boolean;
  error: unknown;
}
const [people, setPeople] = createStore<UserList>({ q: "", list: [], loading: false, error: undefined });
export { people };
let ticket = 0;

/** First page for a search (empty = everyone); `more` appends the next page. */
export async function searchUsers(q: string, more = false): Promise<void> {
  const t = ++ticket;
  setPeople({ q, loading: true, error: undefined, ...(more ? {} : { list: [], next: undefined }) });
  try {
    const res = await api.adminUsers(q, more ? people.next : undefined, PAGE);
    if (t !== ticket) return;
    setPeople(produce((s) => {
      const seen = new Set(s.list.map((u) => u.id));
      s.list.push(...res.users.filter((u) => !seen.has(u.id)));
      s.next = res.nextCursor || undefined;
      s.loading = false;
    }));
  } catch (e) {
    if (t === ticket) setPeople({ loading: false, error: e });
  }
}

function patchUser(id: string, patch: Partial<AdminUser>): void {
  setPeople("list", (u) => u.id === id, produce((u) => Object.assign(u, patch)));
}

export async function deactivate(id: string): Promise<void> {
  await api.deactivate(id);
  patchUser(id, { deactivatedAt: Date.now() });
}

export async function reactivate(id: string): Promise<void> {
  await api.reactivate(id);
  patchUser(id, { deactivatedAt: null });
}

export async function setServerAdmin(id: string, isAdmin: boolean): Promise<void> {
  const { user } = await api.setAdmin(id, isAdmin);
  patchUser(id, { isAdmin: user?.isAdmin ?? isAdmin });
  if (user) applyUser(user);
}

/** A one-time password-reset code for the admin to hand over (shown once). */
export const resetCode = (id: string) => api.passwordResetCode(id);

const [invites, setInvites] = createStore<{ list: Invite[]; loaded: boolean; error: unknown }>({ list: [], loaded: false, error: undefined });
export { invites };

export async function loadInvites(): Promise<void> {
  try {
    const { invites: list } = await api.invites();
    setInvites({ list, loaded: true, error: undefined });
  } catch (e) {
    setInvites({ loaded: true, error: e });
  }
}

export async function createInvite(opts: { maxUses: number; expiresInSec: number; rooms: string[] }): Promise<Invite> {
  const { invite } = await api.createInvite({ maxUses: opts.maxUses, expiresInSec: opts.expiresInSec, rooms: opts.rooms.length ? opts.rooms : undefined });
  setInvites("list", (l) => [invite, ...l.filter((i) => i.code !== invite.code)]);
  return invite;
}

export async function revokeInvite(code: string): Promise<void> {
  await api.revokeInvite(code);
  setInvites("list", (l) => l.filter((i) => i.code !== code));
}

/** The link that opens the sign-up form with the code filled in. */
export const inviteLink = (code: string) => `${location.origin}/invite/${encodeURIComponent(code)}`;
