// PostgreSQL schema (drizzle pg-core): the tables and columns of schema.ts; drizzle-kit turns changes here into migrations under drizzle-pg/.

import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

// Conventions against schema.ts: ms timestamps and seqs are bigint read as JS numbers (SQLite's
// integers are 64-bit too); JSON stays in text columns, because a jsonb column written through
// Bun.sql stores a JSON *string*. Events also have a `pos` column added by the hand-written search
// migration (the counterpart of SQLite's implicit rowid, the search cursor): not declared here.
const ms = (name: string) => bigint(name, { mode: "number" });
/** drizzle-orm 0.45 has no bytea builder; Bun.sql sends a Uint8Array as bytea and reads one back as a Buffer. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  displayName: text("display_name").notNull(),
  passwordHash: text("password_hash").notNull(),
  isAdmin: boolean("is_admin").notNull().default(false),
  deactivatedAt: ms("deactivated_at"),
  createdAt: ms("created_at").notNull(),
  /** Written when the last connection closes, not on every heartbeat. */
  lastSeen: ms("last_seen"),
  /** The avatar's blob id (its bytes are kept like an upload's); null when none. */
  avatarId: text("avatar_id"),
});

/** One row per issued refresh token; a family is one login's chain of rotations. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    familyId: text("family_id").notNull(),
    userId: text("user_id").notNull(),
    secretHash: text("secret_hash").notNull(),
    expiresAt: ms("expires_at").notNull(),
    usedAt: ms("used_at"),
    revokedAt: ms("revoked_at"),
  },
  (t) => [index("refresh_family_idx").on(t.familyId)],
);

/** One row per session (a refresh-token family: one login and its rotations). */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    createdAt: ms("created_at").notNull(),
    lastUsedAt: ms("last_used_at").notNull(),
    userAgent: text("user_agent").notNull().default(""),
    ip: text("ip").notNull().default(""),
    /** Set when the session ended (logout, password change, deleted, reset, deactivation). */
    endedAt: ms("ended_at"),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_ended_idx").on(t.endedAt)],
);

/** Sign-up invites: a code usable maxUses times until expiresAt, joining its rooms. */
export const invites = pgTable("invites", {
  code: text("code").primaryKey(),
  maxUses: integer("max_uses").notNull(),
  uses: integer("uses").notNull().default(0),
  expiresAt: ms("expires_at").notNull(),
  /** Room ids as a JSON array. */
  rooms: text("rooms").notNull().default("[]"),
  createdBy: text("created_by").notNull(),
  createdAt: ms("created_at").notNull(),
  revokedAt: ms("revoked_at"),
});

/** One-time password-reset codes, kept as their SHA-256 only. */
export const passwordResets = pgTable("password_resets", {
  codeHash: text("code_hash").primaryKey(),
  userId: text("user_id").notNull(),
  createdAt: ms("created_at").notNull(),
  expiresAt: ms("expires_at").notNull(),
  usedAt: ms("used_at"),
});

export const rooms = pgTable("rooms", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  kind: text("kind", { enum: ["public", "private", "dm"] }).notNull(),
  topic: text("topic").notNull().default(""),
  createdBy: text("created_by").notNull(),
  createdAt: ms("created_at").notNull(),
  /** Highest seq stored; read under a row lock and bumped in the same transaction as the events. */
  lastSeq: bigint("last_seq", { mode: "number" }).notNull().default(0),
  lastActivity: ms("last_activity").notNull(),
  /** "<userA>:<userB>" sorted, for DMs: one room per pair. */
  dmKey: text("dm_key").unique(),
  /** Slow mode: at most one message per this many seconds per member (0 = off). */
  slowModeSec: integer("slow_mode_sec").notNull().default(0),
  /** Expiring messages: messages older than this many seconds are deleted by the expiry job (0 = off). */
  messageTtlSec: integer("message_ttl_sec").notNull().default(0),
});

export const members = pgTable(
  "members",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    readSeq: bigint("read_seq", { mode: "number" }).notNull().default(0),
    joinedAt: ms("joined_at").notNull(),
    /** Moderation: cannot send until then (ms). */
    silencedUntil: ms("silenced_until"),
    /** The member muted this room's notifications. */
    notificationsMuted: boolean("notifications_muted").notNull().default(false),
    /** What reached the member's clients (the `delivered` frame, coalesced); a read mark raises it too. */
    deliveredSeq: bigint("delivered_seq", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index("members_user_idx").on(t.userId)],
);

/** The room log. (room_id, seq) is the identity and the backstop of gapless seqs from several writers. */
export const events = pgTable(
  "events",
  {
    roomId: text("room_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    kind: text("kind").notNull(),
    senderId: text("sender_id").notNull(),
    ts: ms("ts").notNull(),
    msgId: text("msg_id"),
    clientMsgId: text("client_msg_id"),
    body: text("body"),
    replyTo: bigint("reply_to", { mode: "number" }),
    /** Kind-specific fields (msgSeq, emoji, userId, change, name, topic…) as JSON text. */
    data: text("data"),
    editedAt: ms("edited_at"),
    deletedAt: ms("deleted_at"),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.seq] }),
    /** Thread replies by root (data.threadRoot), partial like schema.ts's; queries repeat its terms (postgres-log.ts). */
    index("events_thread_idx")
      .on(t.roomId, sql`((${t.data}::jsonb ->> 'threadRoot')::bigint)`, t.seq)
      .where(sql`${t.data} LIKE '%"threadRoot":%'`),
  ],
);

/** (sender, clientMsgId) → the event it produced; unique across every writing process. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    senderId: text("sender_id").notNull(),
    clientMsgId: text("client_msg_id").notNull(),
    roomId: text("room_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.senderId, t.clientMsgId] })],
);

/** Banned users cannot rejoin the room. */
export const bans = pgTable(
  "bans",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    bannedBy: text("banned_by").notNull(),
    at: ms("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);

/** Who a message mentions, so "mentions of me since my read mark" is an index range. */
export const mentions = pgTable(
  "mentions",
  {
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.seq] })],
);

/** One row per (message, emoji, user): a user reacts with an emoji at most once. */
export const reactions = pgTable(
  "reactions",
  {
    roomId: text("room_id").notNull(),
    msgSeq: bigint("msg_seq", { mode: "number" }).notNull(),
    emoji: text("emoji").notNull(),
    userId: text("user_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.msgSeq, t.emoji, t.userId] })],
);

export const uploads = pgTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    roomId: text("room_id").notNull(),
    uploaderId: text("uploader_id").notNull(),
    filename: text("filename").notNull(),
    mime: text("mime").notNull(),
    size: integer("size").notNull(),
    createdAt: ms("created_at").notNull(),
    /** The message that carries it, once sent; deleting that message makes the file unreachable. */
    msgSeq: bigint("msg_seq", { mode: "number" }),
    deletedAt: ms("deleted_at"),
  },
  (t) => [index("uploads_room_idx").on(t.roomId, t.msgSeq)],
);

/** The bytes of uploads, by upload id: every node of a cluster serves any node's uploads from here. */
export const uploadBlobs = pgTable("upload_blobs", {
  id: text("id").primaryKey(),
  bytes: bytea("bytes").notNull(),
  size: integer("size").notNull(),
  createdAt: ms("created_at").notNull(),
});

export const pushSubscriptions = pgTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    endpoint: text("endpoint").notNull().unique(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [index("push_user_idx").on(t.userId)],
);

/** Named server-wide secrets (the token signing key): every node of a cluster reads the same row. */
export const serverSecrets = pgTable("server_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
  createdAt: ms("created_at").notNull(),
});

/** Single sign-on: the provider's account (issuer, subject) → our user. Never matched by e-mail. */
export const oidcIdentities = pgTable(
  "oidc_identities",
  {
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index("oidc_identities_user_idx").on(t.userId)],
);

/** Background jobs that one node of a cluster runs at a time (retention): the holder until expiresAt (ms). */
export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: ms("expires_at").notNull(),
});

/**
 * The expiry scan's progress (features/expiry/scan.ts): per room, every event up to `seq` was looked
 * at and its due messages expired, so a restart or another node carries on from there instead of
 * re-reading the room's tombstones. Derived state: lost, the scan starts again from seq 0.
 */
export const expiryMarks = pgTable("expiry_marks", {
  roomId: text("room_id").primaryKey(),
  seq: bigint("seq", { mode: "number" }).notNull(),
});

/** User `userId` blocked `blockedId`: no DM from them, no notification of their mentions. */
export const blocks = pgTable(
  "blocks",
  {
    userId: text("user_id").notNull(),
    blockedId: text("blocked_id").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.blockedId] })],
);

/**
 * Mail for what a user missed (--smtp-url): one row per user who gave an address. Tokens are kept as
 * their SHA-256 only; `email` is set once the address is confirmed through the mailed link.
 */
export const mailPrefs = pgTable(
  "mail_prefs",
  {
    userId: text("user_id").primaryKey(),
    email: text("email"),
    pendingEmail: text("pending_email"),
    confirmHash: text("confirm_hash"),
    confirmExpiresAt: ms("confirm_expires_at"),
    unsubscribeHash: text("unsubscribe_hash").notNull(),
    unsubscribed: boolean("unsubscribed").notNull().default(false),
    lastMailedAt: ms("last_mailed_at").notNull().default(0),
  },
  (t) => [index("mail_prefs_confirm_idx").on(t.confirmHash), index("mail_prefs_unsubscribe_idx").on(t.unsubscribeHash)],
);
