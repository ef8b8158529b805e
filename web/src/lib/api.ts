// HTTP client for /api: the session, silent token refresh (cross-tab safe) and the one authenticated request helper.
import type { Room, RoomEvent, RoomMember, SearchResult, User } from "../../../server/protocol/types";
import { networkError, parseError } from "./errors";

export type Member = RoomMember;
export interface SessionInfo {
  id: string;
  current: boolean;
  createdAt: number;
  lastUsedAt: number;
  userAgent?: string;
  ip?: string;
}
export interface Invite {
  code: string;
  maxUses: number;
  uses: number;
  expiresAt: number;
  /** Room ids the invite joins. */
  rooms: string[];
  createdBy: string;
}
export type AdminUser = User & { createdAt: number; lastSeen?: number | null; deactivatedAt?: number | null };
export type SearchHit = SearchResult;

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

const KEY = "parley.session";
let session: Session | null = load();
let refreshing: Promise<boolean> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Why the last session ended without the user asking ("" after a chosen logout). */
export type EndReason = "" | "expired" | "deactivated";
const listeners = new Set<(s: Session | null, why: EndReason) => void>();

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return session;
}

export function onSession(fn: (s: Session | null, why: EndReason) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setSession(s: Session | null, why: EndReason = ""): void {
  session = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  scheduleRefresh();
  for (const fn of listeners) fn(s, why);
}

// Another tab may rotate the tokens; adopt its result.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== KEY) return;
    const next = load();
    if (next?.refreshToken === session?.refreshToken && next?.accessToken === session?.accessToken) return;
    session = next;
    scheduleRefresh();
    for (const fn of listeners) fn(next, "");
  });
}

/** Expiry (ms) of a JWT access token, or undefined when it cannot be read. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const part = token.split(".")[1];
    const json = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof json.exp === "number" ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  if (!session) return;
  const exp = tokenExpiry(session.accessToken);
  // Unknown expiry: refresh every 10 minutes; otherwise one minute (or 20 %) before expiry.
  let delay = 10 * 60_000;
  if (exp) {
    const left = exp - Date.now();
    delay = Math.max(1_000, left - Math.min(60_000, left * 0.2));
  }
  refreshTimer = setTimeout(() => void refresh(), Math.min(delay, 2 ** 31 - 1));
}

if (session) scheduleRefresh();

/** Rotate the token pair. Serialised across tabs with the Web Locks API when present. */
export function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  const used = session?.refreshToken;
  const run = async (): Promise<boolean> => {
    const current = load();
    if (!current) return false;
    if (current.refreshToken !== used) {
      // Another tab already rotated: take its pair.
      session = current;
      scheduleRefresh();
      for (const fn of listeners) fn(current, "");
      return true;
    }
    try {
      const res = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (res.status === 401 || res.status === 403 || res.status === 400) {
        // The session ended on the server (logout elsewhere, password change, deactivation).
        setSession(null, res.status === 403 ? "deactivated" : "expired");
        return false;
      }
      if (!res.ok) throw new Error(String(res.status));
      const body = (await res.json()) as Partial<Session>;
      setSession({
        user: body.user ?? current.user,
        accessToken: body.accessToken!,
        refreshToken: body.refreshToken!,
      });
      return true;
    } catch {
      // Network trouble: keep the session, try again soon.
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => void refresh(), 15_000);
      return false;
    }
  };
  const locks = typeof navigator !== "undefined" ? (navigator as Navigator).locks : undefined;
  const p: Promise<boolean> = (locks ? (locks.request("parley-refresh", run) as unknown as Promise<boolean>) : run()).finally(() => {
    refreshing = null;
  });
  refreshing = p;
  return p;
}

/**
 * The one authenticated call: `call` sends with the current access token; on 401 the pair is
 * refreshed once and the call repeated with the new token. fetch and XHR uploads both go through it.
 */
export async function withAuth<R extends { status: number }>(call: (token: string | undefined) => Promise<R>): Promise<R> {
  const res = await call(session?.accessToken);
  if (res.status !== 401 || !session || !(await refresh())) return res;
  return call(session?.accessToken);
}

/** An authenticated fetch; network failure becomes ApiError "network". */
export async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await withAuth((token) => {
      const headers = new Headers(init.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      return fetch(path, { ...init, headers });
    });
  } catch {
    throw networkError();
  }
}

/** Throw the answer's ApiError unless it is a success. */
export async function ensureOk(res: Response): Promise<Response> {
  if (!res.ok) throw parseError(res.status, res.statusText, await res.text().catch(() => ""), res.headers.get("retry-after"));
  return res;
}

export async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  const init: RequestInit = { method };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  if (auth) res = await authFetch(path, init);
  else res = await fetch(path, init).catch(() => Promise.reject(networkError()));
  await ensureOk(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const r = encodeURIComponent;

export const api = {
  register: (username: string, password: string, displayName?: string, inviteCode?: string) =>
    request<Session>("POST", "/api/auth/register", { username, password, displayName: displayName || undefined, inviteCode }, false),
  resetPassword: (code: string, newPassword: string) => request<Session>("POST", "/api/auth/reset", { code, newPassword }, false),
  login: (username: string, password: string) =>
    request<Session>("POST", "/api/auth/login", { username, password }, false),
  logout: (refreshToken: string) => request<void>("POST", "/api/auth/logout", { refreshToken }, false),
  me: () => request<{ user: User }>("GET", "/api/me"),
  rooms: () => request<{ rooms: Room[] }>("GET", "/api/rooms"),
  publicRooms: () => request<{ rooms: Room[] }>("GET", "/api/rooms/public"),
  createRoom: (name: string, kind: "public" | "private", topic?: string) =>
    request<{ room: Room }>("POST", "/api/rooms", { name, kind, topic: topic || undefined }),
  join: (id: string) => request<{ room: Room }>("POST", `/api/rooms/${encodeURIComponent(id)}/join`),
  leave: (id: string) => request<void>("POST", `/api/rooms/${encodeURIComponent(id)}/leave`),
  invite: (id: string, username: string) =>
    request<unknown>("POST", `/api/rooms/${encodeURIComponent(id)}/members`, { username }),
  dm: (username: string) => request<{ room: Room }>("POST", "/api/dm", { username }),
  members: (id: string) => request<{ members: Member[] }>("GET", `/api/rooms/${r(id)}/members`),
  updateRoom: (id: string, patch: { name?: string; topic?: string; slowModeSec?: number; messageTtlSec?: number }) =>
    request<{ room: Room }>("PATCH", `/api/rooms/${r(id)}`, patch),
  kick: (id: string, userId: string) => request<void>("DELETE", `/api/rooms/${r(id)}/members/${r(userId)}`),
  ban: (id: string, userId: string) => request<void>("POST", `/api/rooms/${r(id)}/bans`, { userId }),
  setRole: (id: string, userId: string, role: "admin" | "member") => request<unknown>("PUT", `/api/rooms/${r(id)}/members/${r(userId)}/role`, { role }),
  transferOwner: (id: string, userId: string) => request<unknown>("POST", `/api/rooms/${r(id)}/owner`, { userId }),
  mute: (id: string, userId: string, seconds: number) => request<void>("POST", `/api/rooms/${r(id)}/members/${r(userId)}/mute`, { seconds }),
  muteNotifications: (id: string, muted: boolean) => request<void>("PUT", `/api/rooms/${r(id)}/notifications`, { muted }),
  search: (q: string, opts: { room?: string; before?: number; limit?: number } = {}) => {
    const p = new URLSearchParams({ q });
    if (opts.room) p.set("room", opts.room);
    if (opts.before !== undefined) p.set("before", String(opts.before));
    if (opts.limit !== undefined) p.set("limit", String(opts.limit));
    return request<{ results: SearchHit[]; nextBefore?: number }>("GET", `/api/search?${p}`);
  },
  // Your account (1.1)
  updateMe: (patch: { displayName?: string }) => request<{ user: User }>("PATCH", "/api/me", patch),
  setAvatar: (form: FormData) => request<{ user: User }>("PUT", "/api/me/avatar", form),
  removeAvatar: () => request<{ user: User }>("DELETE", "/api/me/avatar"),
  changePassword: (currentPassword: string, newPassword: string) => request<void>("POST", "/api/me/password", { currentPassword, newPassword }),
  sessions: () => request<{ sessions: SessionInfo[] }>("GET", "/api/me/sessions"),
  endSession: (id: string) => request<void>("DELETE", `/api/me/sessions/${r(id)}`),
  // Blocking (1.2)
  blocks: () => request<{ blocks: { user: User; createdAt: number }[] }>("GET", "/api/me/blocks"),
  block: (userId: string) => request<void>("PUT", `/api/me/blocks/${r(userId)}`),
  unblock: (userId: string) => request<void>("DELETE", `/api/me/blocks/${r(userId)}`),
  users: (q: string, limit = 20) => request<{ users: User[] }>("GET", `/api/users?${new URLSearchParams({ q, limit: String(limit) })}`),
  // Invites and administration (1.1, server admins)
  inviteInfo: (code: string) => request<{ invite: { expiresAt: number; rooms: { name: string }[] } }>("GET", `/api/invites/${r(code)}`, undefined, false),
  invites: () => request<{ invites: Invite[] }>("GET", "/api/invites"),
  createInvite: (body: { maxUses?: number; expiresInSec?: number; rooms?: string[] }) => request<{ invite: Invite }>("POST", "/api/invites", body),
  revokeInvite: (code: string) => request<void>("DELETE", `/api/invites/${r(code)}`),
  adminUsers: (q: string, cursor?: string, limit = 25) => {
    const p = new URLSearchParams({ q, limit: String(limit) });
    if (cursor) p.set("cursor", cursor);
    return request<{ users: AdminUser[]; nextCursor?: string }>("GET", `/api/admin/users?${p}`);
  },
  deactivate: (id: string) => request<void>("POST", `/api/admin/users/${r(id)}/deactivate`),
  reactivate: (id: string) => request<void>("POST", `/api/admin/users/${r(id)}/reactivate`),
  setAdmin: (id: string, isAdmin: boolean) => request<{ user: User }>("PUT", `/api/admin/users/${r(id)}/admin`, { isAdmin }),
  passwordResetCode: (id: string) => request<{ code: string; expiresAt: number }>("POST", `/api/admin/users/${r(id)}/password-reset`),
  pushKey: () => request<{ publicKey: string }>("GET", "/api/push/key"),
  pushSubscribe: (sub: PushSubscriptionJSON) => request<unknown>("POST", "/api/push/subscriptions", sub),
  pushUnsubscribe: (endpoint: string) => request<void>("DELETE", "/api/push/subscriptions", { endpoint }),
  messages: (id: string, q: { before?: number; after?: number; limit?: number }) => {
    const p = new URLSearchParams();
    if (q.before !== undefined) p.set("before", String(q.before));
    if (q.after !== undefined) p.set("after", String(q.after));
    if (q.limit !== undefined) p.set("limit", String(q.limit));
    return request<{ events: RoomEvent[]; hasMore: boolean }>(
      "GET",
      `/api/rooms/${encodeURIComponent(id)}/messages?${p}`,
    );
  },
};
