// Provisions accounts and rooms through the public HTTP API (or reuses accounts from a file), with a progress line.
import type { Room, User } from "../../server/protocol/types";
import { pool, type Progress } from "./progress";

export interface Account {
  username: string;
  password: string;
  token: string;
  userId: string;
}

export interface Layout {
  accounts: Account[];
  /** Room ids; room j holds accounts [j·roomSize, (j+1)·roomSize). */
  rooms: string[];
  roomSize: number;
  /** How many accounts (from index 0) are placed in rooms. */
  members: number;
  /** Rooms with a single member: solo[i] belongs to accounts[i] alone (the commit scenario). */
  solo: string[];
}

/** Rooms of the layout that have members among the first `connected` accounts. */
export function roomsInUse(layout: Layout, connected: number): number {
  return Math.min(layout.rooms.length, Math.ceil(Math.min(connected, layout.members) / layout.roomSize));
}

/** An account that can read a room's history: its owner. */
export function ownerOf(layout: Layout, room: string): Account {
  const r = layout.rooms.indexOf(room);
  if (r >= 0) return layout.accounts[r * layout.roomSize] ?? layout.accounts[0];
  const s = layout.solo.indexOf(room);
  return layout.accounts[s >= 0 ? s : 0];
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 200)}`);
  }
}

/** JSON call to the API; waits out 429s (Retry-After) because provisioning must not fail on a throttle. */
export async function api<T>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 429 && attempt < 20) {
      await Bun.sleep(Math.min(5000, 1000 * Number(res.headers.get("retry-after") ?? 1)));
      continue;
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}

type AuthReply = { user: User; accessToken: string };

const PASSWORD = "bench-password-1";

/** Short random tag so repeated runs against one server never collide on usernames. */
export function runTag(): string {
  return Math.random().toString(36).slice(2, 8);
}

export async function register(base: string, username: string): Promise<Account> {
  const r = await api<AuthReply>(base, "POST", "/api/auth/register", { username, password: PASSWORD });
  return { username, password: PASSWORD, token: r.accessToken, userId: r.user.id };
}

async function login(base: string, username: string, password: string): Promise<Account> {
  const r = await api<AuthReply>(base, "POST", "/api/auth/login", { username, password });
  return { username, password, token: r.accessToken, userId: r.user.id };
}

/** Reads `{"users":[{"username","password"}]}` as written by saveAccounts. */
export async function loadAccounts(path: string): Promise<{ username: string; password: string }[]> {
  const j = (await Bun.file(path).json()) as { users?: { username: string; password: string }[] };
  if (!Array.isArray(j.users)) throw new Error(`${path}: expected {"users":[{"username","password"}]}`);
  return j.users;
}

export async function saveAccounts(path: string, accounts: Account[]): Promise<void> {
  await Bun.write(path, JSON.stringify({ users: accounts.map(({ username, password }) => ({ username, password })) }, null, 1));
}

export interface ProvisionSpec {
  users: number;
  /** The first `members` users go into rooms of `roomSize`. */
  members: number;
  roomSize: number;
  /** Single-member rooms to create, one for each of the first `solo` users. */
  solo?: number;
  reuse?: { username: string; password: string }[];
  concurrency?: number;
}

/** Registers (or logs in) `users` accounts, puts the first `members` into public rooms of `roomSize`, and gives the first `solo` a room of their own. */
export async function provision(base: string, spec: ProvisionSpec, progress: Progress, label: string): Promise<Layout> {
  const tag = runTag();
  const conc = spec.concurrency ?? 16;
  let done = 0;
  const tick = (what: string, total: number) => progress.set(`${label}: ${what} ${++done}/${total}`);
  const idx = Array.from({ length: spec.users }, (_, i) => i);
  const accounts = await pool(idx, conc, async (i) => {
    const reuse = spec.reuse?.[i];
    const acc = reuse ? await login(base, reuse.username, reuse.password) : await register(base, `b${tag}_${i}`);
    tick(reuse ? "login" : "register", spec.users);
    return acc;
  });
  const roomCount = Math.ceil(spec.members / spec.roomSize);
  done = 0;
  const rooms = await pool(Array.from({ length: roomCount }, (_, j) => j), conc, async (j) => {
    const owner = accounts[j * spec.roomSize];
    const r = await api<{ room: Room }>(base, "POST", "/api/rooms", { name: `bench-${tag}-${j}`, kind: "public" }, owner.token);
    tick("rooms", roomCount);
    return r.room.id;
  });
  done = 0;
  const joiners = idx.slice(0, spec.members).filter((i) => i % spec.roomSize !== 0);
  await pool(joiners, conc, async (i) => {
    await api(base, "POST", `/api/rooms/${rooms[Math.floor(i / spec.roomSize)]}/join`, {}, accounts[i].token);
    tick("joins", joiners.length);
  });
  done = 0;
  const solo = await pool(Array.from({ length: Math.min(spec.solo ?? 0, accounts.length) }, (_, i) => i), conc, async (i) => {
    const r = await api<{ room: Room }>(base, "POST", "/api/rooms", { name: `solo-${tag}-${i}`, kind: "public" }, accounts[i].token);
    tick("single-member rooms", spec.solo ?? 0);
    return r.room.id;
  });
  progress.clear();
  return { accounts, rooms, roomSize: spec.roomSize, members: spec.members, solo };
}

/** Every stored event of a room, paged oldest first through the history API (for the storage audit). */
export async function fetchLog(base: string, room: string, token: string): Promise<{ seq: number; clientMsgId?: string }[]> {
  const out: { seq: number; clientMsgId?: string }[] = [];
  let after = 0;
  for (;;) {
    const page = await api<{ events: { seq: number; kind: string; clientMsgId?: string }[]; hasMore: boolean }>(
      base, "GET", `/api/rooms/${room}/messages?after=${after}&limit=200`, undefined, token);
    for (const e of page.events) if (e.seq > after) out.push({ seq: e.seq, clientMsgId: e.clientMsgId });
    const last = page.events.at(-1)?.seq ?? after;
    if (!page.hasMore || last <= after) return out;
    after = last;
  }
}
