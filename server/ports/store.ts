// Store port: the durable source of truth. Adapters: adapters/store/libsql.ts (PostgreSQL to come).

import type { EventKind, Role, RoomEvent, RoomKind } from "../protocol/types";

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  isAdmin: boolean;
  deactivatedAt: number | null;
  createdAt: number;
}

export interface RefreshRow {
  id: string;
  familyId: string;
  userId: string;
  secretHash: string;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

export interface RoomRow {
  id: string;
  name: string;
  kind: RoomKind;
  topic: string;
  createdBy: string;
  createdAt: number;
  lastSeq: number;
  lastActivity: number;
  dmKey: string | null;
}

export interface MemberRow {
  roomId: string;
  userId: string;
  role: Role;
  readSeq: number;
}

/** A caller's room with its read mark and computed unread count. */
export interface MyRoomRow extends RoomRow {
  role: Role;
  readSeq: number;
  unread: number;
}

/** Side effect applied in the same transaction as the event that records it. */
export type Effect =
  | { type: "room.create"; room: Omit<RoomRow, "lastSeq"> }
  | { type: "member.add"; userId: string; role: Role }
  | { type: "member.remove"; userId: string }
  | { type: "room.update"; name?: string; topic?: string };

/** An event to append; the store assigns its seq. */
export interface NewEvent {
  room: string;
  kind: EventKind;
  sender: string;
  ts: number;
  msgId?: string;
  clientMsgId?: string;
  body?: string;
  replyTo?: number;
  /** Kind-specific fields stored as JSON and spread into the wire event. */
  data?: Record<string, unknown>;
  effects?: Effect[];
}

export interface Appended {
  event: RoomEvent;
  /** True when (sender, clientMsgId) was stored before: `event` is the first one, nothing new was stored. */
  duplicate: boolean;
}

export interface Page {
  events: RoomEvent[];
  hasMore: boolean;
}

export interface Store {
  migrate(): Promise<void>;
  close(): Promise<void>;

  insertUser(u: UserRow): Promise<void>; // AppError("conflict") when the username is taken
  userByName(username: string): Promise<UserRow | undefined>;
  userById(id: string): Promise<UserRow | undefined>;
  usersByIds(ids: string[]): Promise<UserRow[]>;
  countUsers(): Promise<number>;

  insertRefresh(r: RefreshRow): Promise<void>;
  refreshById(id: string): Promise<RefreshRow | undefined>;
  /** Marks a refresh token used; false when it already was (a reuse), atomically. */
  useRefresh(id: string, at: number): Promise<boolean>;
  revokeFamily(familyId: string, at: number): Promise<void>;

  roomById(id: string): Promise<RoomRow | undefined>;
  roomByDmKey(key: string): Promise<RoomRow | undefined>;
  publicRooms(limit: number): Promise<(RoomRow & { memberCount: number })[]>;
  roomsOf(userId: string): Promise<MyRoomRow[]>;
  member(roomId: string, userId: string): Promise<MemberRow | undefined>;
  members(roomId: string): Promise<MemberRow[]>;
  /** Moves the read mark forward only; returns the mark after the call. */
  advanceRead(roomId: string, userId: string, seq: number): Promise<number>;

  /**
   * Appends events in ONE transaction. Guarantees: each event gets the next seq of its room
   * (gapless, in array order); (sender, clientMsgId) is stored at most once — a repeat returns
   * the first event with duplicate=true; effects commit with their event. Not safe to call
   * concurrently: the Writer (features/messages/writer.ts) is the only caller.
   */
  append(batch: NewEvent[]): Promise<Appended[]>;
  events(roomId: string, q: { before?: number; after?: number; limit: number }): Promise<Page>;
  lastSeq(roomId: string): Promise<number>;
}
