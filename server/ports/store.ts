// Store port: the durable source of truth. Adapters: adapters/store/libsql.ts, adapters/store/postgres.ts.

import type { EventKind, Role, RoomEvent, RoomKind, SearchResult } from "../protocol/types";
import type { WholeBlobs } from "./blobs";
import type { UploadsStore } from "./uploads";
import type { PushStore } from "./push";
import type { IdentitiesStore } from "./identities";
import type { MailStore } from "./mail";

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  isAdmin: boolean;
  deactivatedAt: number | null;
  createdAt: number;
  lastSeen: number | null;
  /** The avatar's blob id; null when none. */
  avatarId: string | null;
}

/** An account without a password (single sign-on) stores this as its passwordHash: no password verifies against it. */
export const NO_PASSWORD = "";

/** The fields of an account that change after it is created (STORE-69). */
export type UserPatch = Partial<Pick<UserRow, "displayName" | "passwordHash" | "isAdmin" | "avatarId" | "deactivatedAt">>;

/** A session: one login (a refresh-token family, same id) with what its owner sees in the sessions list. */
export interface SessionRow {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  userAgent: string;
  ip: string;
  endedAt: number | null;
}

export interface InviteRow {
  code: string;
  maxUses: number;
  uses: number;
  expiresAt: number;
  rooms: string[];
  createdBy: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface PasswordResetRow {
  /** SHA-256 of the code; the code itself is never stored. */
  codeHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
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
  /** Messages older than this many seconds expire (deleted by the expiry job); 0 = off (STORE-145). */
  messageTtlSec: number;
}

export interface MemberRow {
  roomId: string;
  userId: string;
  role: Role;
  readSeq: number;
  silencedUntil: number | null;
  notificationsMuted: boolean;
  /** The member's delivered mark: never below readSeq once a read moved it (STORE-124). */
  deliveredSeq: number;
}

/** One member's delivered mark to raise (Store.advanceDelivered). */
export interface DeliveredMark {
  roomId: string;
  userId: string;
  seq: number;
}

/** A block the user made (GET /api/me/blocks). */
export interface BlockRow {
  blockedId: string;
  createdAt: number;
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

/** What `search` looks for (the search filters of protocol 1.2: STORE-140..144). */
export interface SearchQuery {
  /** Literal text the body contains ("" matches every message). */
  text: string;
  /** Further literal texts the body must contain too (the other words and phrases of a query) (STORE-140). */
  terms?: string[];
  room?: string;
  /** Only these rooms (in:<room name>); [] matches nothing (STORE-141). */
  rooms?: string[];
  /** Only messages sent by this user id (from:<username>) (STORE-141). */
  from?: string;
  /** Only messages with an attachment ("file"), an image attachment ("image"), an http(s) link in the body ("link"); each one given must hold (STORE-142). */
  has?: ("file" | "image" | "link")[];
  /** Only messages with sentFrom <= ts < sentUntil (either may be absent) (STORE-143). */
  sentFrom?: number;
  sentUntil?: number;
  before?: number;
  limit: number;
}

/** Side effect applied in the same transaction as the event that records it (rules STORE-8, STORE-10..17). */
export type Effect =
  /** Inserts the room; its lastSeq then follows its events, which may come in the same batch (STORE-8). */
  | { type: "room.create"; room: Omit<RoomRow, "lastSeq" | "messageTtlSec"> & { messageTtlSec?: number } }
  /** Adds the member, read mark at this event's seq; on a member it changes only the role (STORE-10). */
  | { type: "member.add"; userId: string; role: Role }
  /** Removes the membership; nothing happens for a non-member (STORE-10). */
  | { type: "member.remove"; userId: string }
  /** Changes only the fields given (STORE-11). */
  | { type: "room.update"; name?: string; topic?: string; slowModeSec?: number; messageTtlSec?: number }
  /** On a message event: rows for "mentions of me since my mark"; a repeated id counts once (STORE-12). */
  | { type: "mentions.add"; userIds: string[] }
  /** On a message event: these uploads now belong to it, but only the sender's own in this room that no message took and that are not deleted (STORE-13). */
  | { type: "uploads.attach"; ids: string[] }
  /** Replaces the body (editedAt = this event's ts) and the message's mention rows (STORE-14). */
  | { type: "message.edit"; msgSeq: number; body: string; mentions: string[] }
  /**
   * Removes the body from storage (a tombstone stays; earlier edit events lose their text too), its
   * mentions, reactions and attachments, and marks its uploads deleted (STORE-15). A thread reply's
   * tombstone keeps its threadRoot and nothing else of its data (STORE-122).
   */
  | { type: "message.delete"; msgSeq: number }
  /** One reaction per (message, emoji, user): on again keeps one, off when absent is harmless (STORE-16). */
  | { type: "reaction.set"; msgSeq: number; emoji: string; userId: string; on: boolean }
  /** Idempotent, like ban.remove (STORE-17). */
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
  /** Kind-specific fields stored as JSON and spread into the wire event (STORE-3). */
  data?: Record<string, unknown>;
  /** Fields for the live event only, never stored (a reply's preview: read time recomputes it) (STORE-4). */
  wire?: Record<string, unknown>;
  effects?: Effect[];
}

export interface Appended {
  event: RoomEvent;
  /**
   * True when nothing new was stored: (sender, clientMsgId) was stored before, and `event` is the
   * first one (STORE-5, STORE-6); or the event deletes a message already deleted, and `event` is the
   * delete event that deleted it (STORE-150).
   */
  duplicate: boolean;
}

export interface Page {
  events: RoomEvent[];
  hasMore: boolean;
}

/**
 * Each promise below is a rule of the contract suite (test/contracts/store.contract.ts, ids STORE-n),
 * which runs against every adapter. A read of something missing gives undefined, [] or 0; it never throws.
 */
export interface Store {
  /** Upload metadata; its port states the guarantees (STORE-13, STORE-15, STORE-51..53). */
  uploads: UploadsStore;
  /**
   * Upload bytes kept in the database, for a cluster whose nodes share no disk; its port states the
   * guarantees (BLOB-n, run on every store; across processes STORE-68). A single node keeps files on
   * its disk instead (adapters/blobs/index.ts picks).
   */
  blobs: WholeBlobs;
  /** Web Push subscriptions; its port states the guarantees (STORE-54..58; across processes STORE-67). */
  push: PushStore;
  /** Single-sign-on links (issuer, subject) → user; its port states the guarantees (STORE-90..92). */
  identities: IdentitiesStore;
  /** Mail for what users missed: addresses, codes, when each was last mailed; its port states the guarantees (STORE-146..149). */
  mail: MailStore;
  /**
   * Applies the bundled migrations not yet applied, each exactly once even when several nodes start
   * at the same moment. Throws when the database lists a migration this binary does not know (its
   * schema is newer than the code): an old binary never writes to a newer schema. Running it again
   * changes nothing and keeps the data (STORE-59).
   */
  migrate(): Promise<void>;
  /** Stops background work (search indexing) and releases the connections; nothing may be called after it. */
  close(): Promise<void>;
  /**
   * The value stored under `name`, created with `generate()` if there is none, atomically: nodes that
   * ask at the same moment all get the one value that won (every node of a cluster signs with one key)
   * (STORE-60, STORE-61; across processes STORE-66).
   */
  sharedSecret(name: string, generate: () => string): Promise<string>;
  /**
   * A consistent copy of the database into the new local libSQL file `target` while the server keeps
   * running: libSQL by VACUUM INTO, PostgreSQL by migrate-store's copy of every table (upload_blobs
   * included) from one snapshot (BACKUP-PG-1). Never overwrites (STORE-62); throws when the backend
   * cannot copy itself that way (a remote libSQL server: use its own tools).
   */
  backup(target: string): Promise<void>;

  /**
   * Takes or renews the lease `name` for `holder` until now + ttlMs: true when there was none, it had
   * expired (expiresAt <= now) or `holder` holds it already; false, changing nothing, while another
   * holder's lease lasts. Atomic: of concurrent calls for a free lease exactly one gets true, also
   * across processes sharing the database — one node of a cluster runs a background job (STORE-110,
   * STORE-111).
   */
  takeLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Ends the lease when `holder` holds it, so another holder may take it at once; otherwise changes nothing (STORE-112). */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Every room (any kind), ordered by id, after the id `after` (a cursor), at most `limit` (STORE-113). */
  allRooms(q: { after?: string; limit: number }): Promise<RoomRow[]>;
  /**
   * The expiry scan's marks (features/expiry/scan.ts): per room, the seq up to which every event was
   * looked at and every message due then was expired. Only the given rooms that have one; a room
   * without one starts at 0 (STORE-145).
   */
  expiryMarks(roomIds: string[]): Promise<Map<string, number>>;
  /** Moves a room's mark forward to `seq`; a smaller seq than the stored one changes nothing (STORE-145). */
  setExpiryMark(roomId: string, seq: number): Promise<void>;

  /** Stores a new account as given. A taken username is AppError("conflict") and stores nothing (STORE-41, STORE-42). */
  insertUser(u: UserRow): Promise<void>;
  /** By exact username (callers fold case first); undefined when none (STORE-41). */
  userByName(username: string): Promise<UserRow | undefined>;
  /** undefined when none (STORE-41). */
  userById(id: string): Promise<UserRow | undefined>;
  /** The rows that exist, in any order; unknown ids are absent; [] for [] (STORE-43). */
  usersByIds(ids: string[]): Promise<UserRow[]>;
  /** Every account, deactivated ones included (STORE-44). */
  countUsers(): Promise<number>;
  /** The rows that exist, in any order; unknown names are absent; [] for [] (STORE-43). */
  usersByNames(usernames: string[]): Promise<UserRow[]>;
  /**
   * Sets deactivatedAt and, in the same transaction, revokes (revokedAt = at) every refresh token of
   * the user not revoked yet; earlier revocations keep their time (STORE-45), and ends their sessions
   * not ended yet (STORE-73).
   */
  deactivateUser(id: string, at: number): Promise<void>;
  /**
   * One statement for many users (a mass disconnect must not become thousands of writes). Users not
   * in the map and unknown ids change nothing; an empty map is a no-op (STORE-46).
   */
  setLastSeen(seen: Map<string, number>): Promise<void>;
  /** Changes only the fields given ({} changes nothing); an unknown id changes nothing (STORE-69). */
  updateUser(id: string, patch: UserPatch): Promise<void>;
  /**
   * Accounts ordered by username, after the username `after` (a cursor), at most `limit`. `search`
   * keeps those whose username or display name contains it, case-insensitively, as literal text (% and
   * _ match only themselves); `activeOnly` drops deactivated accounts (STORE-70).
   */
  listUsers(q: { search?: string; after?: string; limit: number; activeOnly?: boolean }): Promise<UserRow[]>;
  /** Server admins whose account is not deactivated (STORE-71). */
  countAdmins(): Promise<number>;

  /** Stores a new session as given (STORE-72). */
  insertSession(s: SessionRow): Promise<void>;
  /** undefined when none (STORE-72). */
  sessionById(id: string): Promise<SessionRow | undefined>;
  /** The user's sessions not ended, most recently used first (STORE-72). */
  sessionsOf(userId: string): Promise<SessionRow[]>;
  /** Sets lastUsedAt; an ended or unknown session changes nothing (STORE-72). */
  touchSession(id: string, at: number): Promise<void>;
  /**
   * Ends the user's sessions not ended yet — only `only` when given, every one but `except` when given
   * — and, in the same transaction, revokes their refresh tokens not revoked yet. Returns the ids it
   * ended ([] when none: a session of another user is never ended) (STORE-73).
   */
  endSessions(userId: string, at: number, which?: { only?: string; except?: string }): Promise<string[]>;
  /** Sessions ended at or after `since`, with their user (a starting node fills its refusal list) (STORE-73). */
  endedSessionsSince(since: number): Promise<{ id: string; userId: string }[]>;

  /** Stores a new invite as given (STORE-74). */
  insertInvite(i: InviteRow): Promise<void>;
  /** undefined when none (STORE-74). */
  inviteByCode(code: string): Promise<InviteRow | undefined>;
  /** Invites not revoked and not expired at `now`, used up or not, newest first (STORE-74). */
  liveInvites(now: number): Promise<InviteRow[]>;
  /** Sets revokedAt; false when unknown or already revoked (STORE-74). */
  revokeInvite(code: string, at: number): Promise<boolean>;
  /**
   * Takes one use of a usable invite (not revoked, expiresAt > now, uses < maxUses) and returns it
   * after the use; undefined otherwise. Atomic: concurrent calls never take more than maxUses (STORE-75).
   */
  consumeInvite(code: string, now: number): Promise<InviteRow | undefined>;

  /** Stores a new reset code as given (STORE-76). */
  insertPasswordReset(r: PasswordResetRow): Promise<void>;
  /**
   * Marks an unused code whose expiresAt > now used and returns its user id; undefined otherwise.
   * Atomic: of concurrent calls exactly one gets the user (STORE-76).
   */
  consumePasswordReset(codeHash: string, now: number): Promise<string | undefined>;

  /** Stores a new token row as given (STORE-47). */
  insertRefresh(r: RefreshRow): Promise<void>;
  /** undefined when none (STORE-47). */
  refreshById(id: string): Promise<RefreshRow | undefined>;
  /**
   * Marks a refresh token used; false when it already was (a reuse) or does not exist. Atomic: of
   * concurrent calls exactly one gets true, and usedAt keeps that first use (STORE-48, STORE-49;
   * across processes STORE-65).
   */
  useRefresh(id: string, at: number): Promise<boolean>;
  /** Revokes (revokedAt = at) the family's tokens not revoked yet; earlier revocations and other families stay (STORE-50). */
  revokeFamily(familyId: string, at: number): Promise<void>;

  /** undefined when none. Its lastSeq and lastActivity follow the room's last appended event (STORE-2, STORE-25). */
  roomById(id: string): Promise<RoomRow | undefined>;
  /** The one room of a DM pair; undefined when none (STORE-25). */
  roomByDmKey(key: string): Promise<RoomRow | undefined>;
  /** Public rooms only, most recent activity first, at most `limit`, each with its member count (STORE-26). */
  publicRooms(limit: number): Promise<(RoomRow & { memberCount: number })[]>;
  /**
   * The user's rooms ([] when none), most recent activity first, computed from the log and the read
   * mark on every call so they cannot drift (STORE-27). unread: messages after the mark that are not
   * the user's own and not deleted, counted up to LIMITS.UNREAD_COUNT_MAX (STORE-28). mentions: the
   * user's mentions after the mark by others in messages not deleted, uncapped; in a DM every unread
   * message counts (STORE-29).
   */
  roomsOf(userId: string): Promise<MyRoomRow[]>;
  /** undefined when not a member (STORE-30). */
  member(roomId: string, userId: string): Promise<MemberRow | undefined>;
  /** roomById and member in one read: every authenticated room request starts with both (STORE-151). */
  membership(roomId: string, userId: string): Promise<{ room?: RoomRow; member?: MemberRow }>;
  /** Every member, in any order; [] for an unknown room (STORE-30). */
  members(roomId: string): Promise<MemberRow[]>;
  /**
   * Moves the read mark forward only (never past the room's last seq) in one statement; returns the
   * mark after the call, 0 for a non-member (STORE-31). The delivered mark rises with it: a read
   * message was delivered (STORE-124).
   */
  advanceRead(roomId: string, userId: string, seq: number): Promise<number>;
  /**
   * Raises delivered marks, forward only and never past the room's last seq, many members of many
   * rooms in one statement (the gateway coalesces `delivered` frames and flushes them in batches);
   * non-members and unknown rooms change nothing, [] is a no-op (STORE-125, STORE-126).
   */
  advanceDelivered(marks: DeliveredMark[]): Promise<void>;
  /** Changes only the flags given (null lifts a silence; {} changes nothing); nothing happens for a non-member (STORE-32). */
  setMemberFlags(roomId: string, userId: string, flags: { silencedUntil?: number | null; notificationsMuted?: boolean }): Promise<void>;
  /** Set and cleared by the ban effects, per room (STORE-17). */
  isBanned(roomId: string, userId: string): Promise<boolean>;
  /** Distinct users sharing at least one room with this user (presence audience), never the user; [] when alone (STORE-33). */
  coMembers(userId: string): Promise<string[]>;

  /** `userId` blocks (on) or unblocks `blockedId`; idempotent both ways, a repeat keeps the first createdAt (STORE-127). */
  setBlock(userId: string, blockedId: string, on: boolean, at: number): Promise<void>;
  /** The user's blocks, newest first; [] when none (STORE-127). */
  blocksOf(userId: string): Promise<BlockRow[]>;
  /** Those of `userIds` who blocked `blockedId`, in any order; [] for [] (STORE-128). */
  blockersAmong(blockedId: string, userIds: string[]): Promise<string[]>;

  /**
   * Appends events in ONE transaction. Guarantees: each event gets the next seq of its room
   * (gapless, in array order, continuing across batches: STORE-1, STORE-2, STORE-9); the room row's
   * lastSeq and lastActivity follow its last event (STORE-2); (sender, clientMsgId) is stored at most
   * once, across batches and rooms — a repeat returns the first event with duplicate=true; events
   * without a clientMsgId are never duplicates (STORE-5, STORE-6, STORE-9); a message gets one delete
   * event at most: a message.delete of a message deleted before or earlier in the batch stores nothing,
   * takes no seq and returns the first delete event with duplicate=true, decided inside the append's
   * transaction, so concurrent deletes (two processes, a user and the expiry job) cannot both land
   * (STORE-150); effects commit with their event, a room.create with the room's first events
   * (STORE-8); a batch that fails stores nothing (STORE-7). The returned event is the stored one, plus its `wire` fields (STORE-3, STORE-4). Not
   * safe to call concurrently within a process: the Writer (features/messages/writer.ts) is the only
   * caller. Adapters whose database several processes share (PostgreSQL) keep these guarantees across
   * the processes (STORE-63, STORE-64, STORE-150).
   */
  append(batch: NewEvent[]): Promise<Appended[]>;
  /**
   * Events ascending by seq. No cursor: the newest `limit`; `before`: the newest `limit` below it;
   * hasMore then says older ones exist. `after`: the oldest `limit` above it (with `before` too: within
   * the window); hasMore then says newer ones exist. An unknown room is an empty page (STORE-18..21).
   * Messages carry their current body, their reactions (emoji → user ids; no field when none) and, for
   * replies, a preview of the quoted message even outside the page: its first 200 characters, or ""
   * and deleted=true once it is deleted (STORE-22). A top-level message with live (not deleted) thread
   * replies carries `thread: {replies, lastReplyAt, participants}`, computed on every read by one
   * indexed query per page (STORE-120). `thread`: only that root and the messages whose threadRoot it
   * is, paged the same way (STORE-121).
   */
  events(roomId: string, q: { before?: number; after?: number; limit: number; thread?: number }): Promise<Page>;
  /** Any event's seq, kind, sender, current body (null when it has none or was deleted) and deleted flag; undefined when missing (STORE-23). */
  message(roomId: string, seq: number): Promise<MessageRef | undefined>;
  /** Exactly that message, emoji and user (STORE-24). */
  hasReaction(roomId: string, msgSeq: number, emoji: string, userId: string): Promise<boolean>;
  /**
   * Messages (not edit events) whose current body contains `text` as literal text, case-insensitively,
   * parts of words and CJK included, from one character up; never deleted ones; only in rooms the user
   * is a member of now (`room` narrows to one). Newest (last appended) first, at most `limit`; a hit's
   * cursor as `before` gives the next older page. Sees every message committed before the call
   * (STORE-34..40). The filters of SearchQuery narrow it further, all of them together (STORE-140..144).
   */
  search(userId: string, q: SearchQuery): Promise<SearchHit[]>;
  /**
   * The search index's work done after commit by this process since it opened the store: seconds its
   * passes held the event loop and events rowids they covered (libSQL's bulk passes, /metrics). Absent
   * where the index is kept up to date inside each commit (PostgreSQL's trigram index).
   */
  indexing?(): { seconds: number; rows: number };
  /** The room's highest stored seq (0 when none), including what other processes appended (STORE-2, STORE-21, STORE-64). */
  lastSeq(roomId: string): Promise<number>;
}
