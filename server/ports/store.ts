// Store port: the durable source of truth. Adapters: adapters/store/libsql.ts (PostgreSQL to come).

import type { EventKind, Role, RoomEvent, RoomKind, SearchResult } from "../protocol/types";
import type { UploadsStore } from "./uploads";
import type { PushStore } from "./push";

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  isAdmin: boolean;
  deactivatedAt: number | null;
  createdAt: number;
  lastSeen: number | null;
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
  slowModeSec: number;
}

export interface MemberRow {
  roomId: string;
  userId: string;
  role: Role;
  readSeq: number;
  silencedUntil: number | null;
  notificationsMuted: boolean;
}

/** A caller's room with its read mark and computed unread and mention counts. */
export interface MyRoomRow extends RoomRow {
  role: Role;
  readSeq: number;
  unread: number;
  mentions: number;
  notificationsMuted: boolean;
}

/** What a message action needs to know about its target. */
export interface MessageRef {
  seq: number;
  kind: string;
  sender: string;
  body: string | null;
  deleted: boolean;
}

export interface SearchHit extends SearchResult {
  /** Opaque cursor: pass as `before` for the next (older) page. */
  cursor: number;
}

/** Side effect applied in the same transaction as the event that records it. */
export type Effect =
  | { type: "room.create"; room: Omit<RoomRow, "lastSeq"> }
  | { type: "member.add"; userId: string; role: Role }
  | { type: "member.remove"; userId: string }
  | { type: "room.update"; name?: string; topic?: string; slowModeSec?: number }
  /** On a message event: rows for "mentions of me since my mark". */
  | { type: "mentions.add"; userIds: string[] }
  /** On a message event: these uploads now belong to it. */
  | { type: "uploads.attach"; ids: string[] }
  | { type: "message.edit"; msgSeq: number; body: string; mentions: string[] }
  /** Removes the body from storage (a tombstone stays), its mentions, reactions and uploads. */
  | { type: "message.delete"; msgSeq: number }
  | { type: "reaction.set"; msgSeq: number; emoji: string; userId: string; on: boolean }
  | { type: "ban.add"; userId: string; by: string }
  | { type: "ban.remove"; userId: string };

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
  /** Fields for the live event only, never stored (a reply's preview: read time recomputes it). */
  wire?: Record<string, unknown>;
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
  uploads: UploadsStore;
  push: PushStore;
  migrate(): Promise<void>;
  close(): Promise<void>;

  insertUser(u: UserRow): Promise<void>; // AppError("conflict") when the username is taken
  userByName(username: string): Promise<UserRow | undefined>;
  userById(id: string): Promise<UserRow | undefined>;
  usersByIds(ids: string[]): Promise<UserRow[]>;
  countUsers(): Promise<number>;
  usersByNames(usernames: string[]): Promise<UserRow[]>;
  /** Deactivates the account and revokes every refresh token it holds. */
  deactivateUser(id: string, at: number): Promise<void>;
  /** One statement for many users (a mass disconnect must not become thousands of writes). */
  setLastSeen(seen: Map<string, number>): Promise<void>;

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
  /** Moves the read mark forward only (never past the room's last seq); returns the mark after the call. */
  advanceRead(roomId: string, userId: string, seq: number): Promise<number>;
  setMemberFlags(roomId: string, userId: string, flags: { silencedUntil?: number | null; notificationsMuted?: boolean }): Promise<void>;
  isBanned(roomId: string, userId: string): Promise<boolean>;
  /** Distinct users sharing at least one room with this user (presence audience). */
  coMembers(userId: string): Promise<string[]>;

  /**
   * Appends events in ONE transaction. Guarantees: each event gets the next seq of its room
   * (gapless, in array order); (sender, clientMsgId) is stored at most once — a repeat returns
   * the first event with duplicate=true; effects commit with their event. Not safe to call
   * concurrently: the Writer (features/messages/writer.ts) is the only caller.
   */
  append(batch: NewEvent[]): Promise<Appended[]>;
  /** Events ascending by seq; messages carry their current body, reactions and reply preview. */
  events(roomId: string, q: { before?: number; after?: number; limit: number }): Promise<Page>;
  message(roomId: string, seq: number): Promise<MessageRef | undefined>;
  hasReaction(roomId: string, msgSeq: number, emoji: string, userId: string): Promise<boolean>;
  /** Message bodies matching `text` in rooms the user is a member of, newest first. */
  search(userId: string, q: { text: string; room?: string; before?: number; limit: number }): Promise<SearchHit[]>;
  lastSeq(roomId: string): Promise<number>;
}
