// HTTP client for /api: bearer auth, silent token refresh (cross-tab safe), typed errors.
import type { PresenceInfo, Role, Room, RoomEvent, RoomMember, SearchResult, User } from "../../../server/protocol/types";

export type Member = RoomMember;
export type SearchHit = SearchResult;

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public retryAfter?: number,
  ) {
    super(message);
  }
}

const KEY = "parley.session";
let session: Session | null = load();
let refreshing: Promise<boolean> | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<(s: Session | null) => void>();

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

export function onSession(fn: (s: Session | null) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function setSession(s: Session | null): void {
  session = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  scheduleRefresh();
  for (const fn of listeners) fn(s);
}

// Another tab may rotate the tokens; adopt its result.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== KEY) return;
    const next = load();
    if (next?.refreshToken === session?.refreshToken && next?.accessToken === session?.accessToken) return;
    session = next;
    scheduleRefresh();
    for (const fn of listeners) fn(next);
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
      for (const fn of listeners) fn(current);
      return true;
    }
    try {
      const res = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (res.status === 401 || res.status === 403 || res.status === 400) {
        setSession(null);
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

async function parseError(res: Response): Promise<ApiError> {
  let code = "http_" + res.status;
  let message = res.statusText || "Request failed";
  try {
    const body = await res.json();
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    }
  } catch {
    /* not JSON */
  }
  const ra = res.headers.get("retry-after");
  const retryAfter = ra ? Number(ra) || undefined : undefined;
  return new ApiError(res.status, code, message, retryAfter);
}

export async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  const go = () => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && session) headers.authorization = `Bearer ${session.accessToken}`;
    return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  let res: Response;
  try {
    res = await go();
    if (res.status === 401 && auth && session) {
      if (await refresh()) res = await go();
    }
  } catch {
    throw new ApiError(0, "network", "Can't reach the server. Check your connection.");
  }
  if (!res.ok) throw await parseError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A human message for an error, fit to show in the UI. */
export function describeError(e: unknown): string {
  if (!(e instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (e.code) {
    case "invalid_credentials":
      return "Wrong username or password.";
    case "network":
      return e.message;
    case "rate_limited":
      return e.retryAfter
        ? `Too many attempts. Try again in ${e.retryAfter} second${e.retryAfter === 1 ? "" : "s"}.`
        : "Too many attempts. Please wait a moment.";
  }
  if (e.status === 429) return describeError(new ApiError(429, "rate_limited", "", e.retryAfter));
  if (e.status === 409) return e.message || "That already exists.";
  return e.message || `Request failed (${e.status}).`;
}

const r = encodeURIComponent;

export const api = {
  register: (username: string, password: string, displayName?: string) =>
    request<Session>("POST", "/api/auth/register", { username, password, displayName: displayName || undefined }, false),
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
  updateRoom: (id: string, patch: { name?: string; topic?: string; slowModeSec?: number }) =>
    request<{ room: Room }>("PATCH", `/api/rooms/${r(id)}`, patch),
  kick: (id: string, userId: string) => request<void>("DELETE", `/api/rooms/${r(id)}/members/${r(userId)}`),
  ban: (id: string, userId: string) => request<void>("POST", `/api/rooms/${r(id)}/bans`, { userId }),
  mute: (id: string, userId: string, seconds: number) => request<void>("POST", `/api/rooms/${r(id)}/members/${r(userId)}/mute`, { seconds }),
  muteNotifications: (id: string, muted: boolean) => request<void>("PUT", `/api/rooms/${r(id)}/notifications`, { muted }),
  search: (q: string, opts: { room?: string; before?: number; limit?: number } = {}) => {
    const p = new URLSearchParams({ q });
    if (opts.room) p.set("room", opts.room);
    if (opts.before !== undefined) p.set("before", String(opts.before));
    if (opts.limit !== undefined) p.set("limit", String(opts.limit));
    return request<{ results: SearchHit[]; nextBefore?: number }>("GET", `/api/search?${p}`);
  },
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
