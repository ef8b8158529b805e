// Store contract fixtures: the factory type, a fresh database per describe block, and small builders of rows and events.

import { afterAll, beforeAll } from "bun:test";
import type { MemberChange, RoomEvent, RoomKind } from "../../../protocol/types";
import type { Effect, NewEvent, RefreshRow, RoomRow, Store, UserRow } from "../../../ports/store";
import type { UploadMime, UploadRow } from "../../../ports/uploads";

export interface StoreFactory {
  /** A store on a fresh, empty database (every call a new one). The suite runs `migrate()` on it. */
  open(): Promise<Store>;
  /**
   * A second, independent instance on the SAME database as the latest `open()`, for adapters that
   * allow several writing processes. The suite runs `migrate()` on it too.
   */
  openSecond?(): Promise<Store>;
  /** Runs once after the whole suite: removes what `open()` made (temp files, databases). */
  cleanup(): Promise<void>;
}

export interface Fresh {
  readonly store: Store;
  /** The second instance on this block's database, opened on first use (only when the factory has `openSecond`). */
  second(): Promise<Store>;
}

/** One database per describe block, not per test: the suite stays fast. Tests isolate themselves with new users and rooms. */
export function useFreshStore(factory: StoreFactory): Fresh {
  let store: Store | undefined;
  let second: Store | undefined;
  beforeAll(async () => {
    store = await factory.open();
    await store.migrate();
  });
  afterAll(async () => {
    await second?.close();
    await store?.close();
  });
  return {
    get store() {
      if (!store) throw new Error("the store is opened in beforeAll");
      return store;
    },
    async second() {
      if (!factory.openSecond) throw new Error("this adapter has no second instance");
      if (!second) {
        second = await factory.openSecond();
        await second.migrate();
      }
      return second;
    },
  };
}

let counter = 0;
/** Unique across the whole run, so rows of one test never collide with another's on a shared database. */
export const uniq = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++counter).toString(36)}`;

let clock = 1_700_000_000_000;
/** Strictly increasing timestamps: later events are always more recent activity. */
export const tick = () => ++clock;

export async function newUser(store: Store, over: Partial<UserRow> = {}): Promise<UserRow> {
  const u: UserRow = {
    id: uniq("u"), username: uniq("n").toLowerCase().slice(0, 32), displayName: "User", passwordHash: "hash",
    isAdmin: false, deactivatedAt: null, createdAt: tick(), lastSeen: null, avatarId: null, ...over,
  };
  await store.insertUser(u);
  return u;
}

export const refreshRow = (userId: string, over: Partial<RefreshRow> = {}): RefreshRow => ({
  id: uniq("r"), familyId: uniq("f"), userId, secretHash: "h", expiresAt: tick() + 1e9, usedAt: null, revokedAt: null, ...over,
});

export function roomRow(owner: string, over: Partial<Omit<RoomRow, "lastSeq">> = {}): Omit<RoomRow, "lastSeq"> {
  const at = tick();
  return { id: uniq("room"), name: "room", kind: "public", topic: "", createdBy: owner, createdAt: at, lastActivity: at, dmKey: null, slowModeSec: 0, messageTtlSec: 0, ...over };
}

export const memberEv = (room: string, sender: string, userId: string, change: MemberChange, effects: Effect[] = []): NewEvent => ({
  room, kind: "member", sender, ts: tick(), data: { userId, change }, effects,
});

export const msg = (room: string, sender: string, body: string, over: Partial<NewEvent> = {}): NewEvent => ({
  room, kind: "message", sender, ts: tick(), msgId: uniq("m"), clientMsgId: uniq("c"), body, ...over,
});

export const editEv = (room: string, sender: string, msgSeq: number, body: string, mentions: string[] = []): NewEvent => ({
  room, kind: "edit", sender, ts: tick(), body, data: { msgSeq, ...(mentions.length ? { mentions } : {}) },
  effects: [{ type: "message.edit", msgSeq, body, mentions }],
});

export const deleteEv = (room: string, sender: string, msgSeq: number): NewEvent => ({
  room, kind: "delete", sender, ts: tick(), data: { msgSeq }, effects: [{ type: "message.delete", msgSeq }],
});

export const reactEv = (room: string, sender: string, msgSeq: number, emoji: string, on: boolean): NewEvent => ({
  room, kind: "reaction", sender, ts: tick(), data: { msgSeq, emoji, on }, effects: [{ type: "reaction.set", msgSeq, emoji, userId: sender, on }],
});

/** A room made the way the rooms feature makes one: created with its owner's join, then the others join. */
export async function newRoom(store: Store, owner: string, opts: { kind?: RoomKind; members?: string[]; dmKey?: string } = {}): Promise<RoomRow> {
  const row = roomRow(owner, { kind: opts.kind ?? "public", dmKey: opts.dmKey ?? null });
  await store.append([
    memberEv(row.id, owner, owner, "join", [{ type: "room.create", room: row }, { type: "member.add", userId: owner, role: "owner" }]),
    ...(opts.members ?? []).map((u) => memberEv(row.id, u, u, "join", [{ type: "member.add", userId: u, role: "member" }])),
  ]);
  return (await store.roomById(row.id))!;
}

/** Appends one event and gives the event the store returned. */
export async function one<T extends RoomEvent = RoomEvent>(store: Store, e: NewEvent): Promise<T> {
  const [r] = await store.append([e]);
  return r.event as T;
}

/** A room's whole log, oldest first. */
export async function history(store: Store, room: string): Promise<RoomEvent[]> {
  return (await store.events(room, { after: 0, limit: 100_000 })).events;
}

export const seqs = (es: { seq: number }[]) => es.map((e) => e.seq);

export const uploadRow = (roomId: string, uploaderId: string, over: Partial<UploadRow> = {}): UploadRow => ({
  id: uniq("up"), roomId, uploaderId, filename: "a.png", mime: "image/png" satisfies UploadMime, size: 10, createdAt: tick(), msgSeq: null, deletedAt: null, ...over,
});

/** Order-free comparison of reactions: emoji → sorted user ids. */
export const sortedReactions = (r: Record<string, string[]> | undefined) =>
  r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [...v].sort()]));
