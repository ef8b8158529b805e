// libSQL/SQLite schema (drizzle). drizzle-kit turns changes here into migrations under drizzle/.

import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  displayName: text("display_name").notNull(),
  passwordHash: text("password_hash").notNull(),
  isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
  deactivatedAt: integer("deactivated_at"),
  createdAt: integer("created_at").notNull(),
  /** Written when the last connection closes, not on every heartbeat. */
  lastSeen: integer("last_seen"),
  /** The avatar's blob id (its bytes are kept like an upload's); null when none. */
  avatarId: text("avatar_id"),
});

/** One row per issued refresh token; a family is one login's chain of rotations. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    familyId: text("family_id").notNull(),
    userId: text("user_id").notNull(),
    secretHash: text("secret_hash").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("refresh_family_idx").on(t.familyId)],
);

/** One row per session (a refresh-token family: one login and its rotations). */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at").notNull(),
    userAgent: text("user_agent").notNull().default(""),
    ip: text("ip").notNull().default(""),
    /** Set when the session ended (logout, password change, deleted, reset, deactivation). */
    endedAt: integer("ended_at"),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_ended_idx").on(t.endedAt)],
);

/** Sign-up invites: a code usable maxUses times until expiresAt, joining its rooms. */
export const invites = sqliteTable("invites", {
  code: text("code").primaryKey(),
  maxUses: integer("max_uses").notNull(),
  uses: integer("uses").notNull().default(0),
  expiresAt: integer("expires_at").notNull(),
  /** Room ids as a JSON array. */
  rooms: text("rooms").notNull().default("[]"),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
});

/** One-time password-reset codes, kept as their SHA-256 only. */
export const passwordResets = sqliteTable("password_resets", {
  codeHash: text("code_hash").primaryKey(),
  userId: text("user_id").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

export const rooms = sqliteTable("rooms", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  kind: text("kind", { enum: ["public", "private", "dm"] }).notNull(),
  topic: text("topic").notNull().default(""),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  /** Highest seq stored; bumped in the same transaction as the events. */
  lastSeq: integer("last_seq").notNull().default(0),
  lastActivity: integer("last_activity").notNull(),
  /** "<userA>:<userB>" sorted, for DMs: one room per pair. */
  dmKey: text("dm_key").unique(),
  /** Slow mode: at most one message per this many seconds per member (0 = off). */
  slowModeSec: integer("slow_mode_sec").notNull().default(0),
  /** Expiring messages: messages older than this many seconds are deleted by the expiry job (0 = off). */
  messageTtlSec: integer("message_ttl_sec").notNull().default(0),
});

export const members = sqliteTable(
  "members",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    readSeq: integer("read_seq").notNull().default(0),
    joinedAt: integer("joined_at").notNull(),
    /** Moderation: cannot send until then (ms). */
    silencedUntil: integer("silenced_until"),
    /** The member muted this room's notifications. */
    notificationsMuted: integer("notifications_muted", { mode: "boolean" }).notNull().default(false),
    /** What reached the member's clients (the `delivered` frame, coalesced); a read mark raises it too. */
    deliveredSeq: integer("delivered_seq").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index("members_user_idx").on(t.userId)],
);

/** The room log. (room_id, seq) is the identity; seq is gapless per room. */
export const events = sqliteTable(
  "events",
  {
    roomId: text("room_id").notNull(),
    seq: integer("seq").notNull(),
    kind: text("kind").notNull(),
    senderId: text("sender_id").notNull(),
    ts: integer("ts").notNull(),
    msgId: text("msg_id"),
    clientMsgId: text("client_msg_id"),
    body: text("body"),
    replyTo: integer("reply_to"),
    /** Kind-specific fields (msgSeq, emoji, userId, change, name, topic…) as JSON. */
    data: text("data"),
    editedAt: integer("edited_at"),
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.seq] }),
    /**
     * Thread replies by root (data.threadRoot): a partial index, so other events add no entry. Queries
     * repeat its WHERE term (THREAD_ROW in libsql-log.ts) for the planner to pick it.
     */
    index("events_thread_idx")
      .on(t.roomId, sql`json_extract(${t.data}, '$.threadRoot')`, t.seq)
      .where(sql`${t.data} LIKE '%"threadRoot":%'`),
  ],
);

/** (sender, clientMsgId) → the event it produced, so a resend answers the first one again. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    senderId: text("sender_id").notNull(),
    clientMsgId: text("client_msg_id").notNull(),
    roomId: text("room_id").notNull(),
    seq: integer("seq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.senderId, t.clientMsgId] })],
);


/** Banned users cannot rejoin the room. */
export const bans = sqliteTable(
  "bans",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    bannedBy: text("banned_by").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
);

/** Who a message mentions, so "mentions of me since my read mark" is an index range. */
export const mentions = sqliteTable(
  "mentions",
  {
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
    seq: integer("seq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.seq] })],
);

/** One row per (message, emoji, user): a user reacts with an emoji at most once. */
export const reactions = sqliteTable(
  "reactions",
  {
    roomId: text("room_id").notNull(),
    msgSeq: integer("msg_seq").notNull(),
    emoji: text("emoji").notNull(),
    userId: text("user_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.msgSeq, t.emoji, t.userId] })],
);

export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    roomId: text("room_id").notNull(),
    uploaderId: text("uploader_id").notNull(),
    filename: text("filename").notNull(),
    mime: text("mime").notNull(),
    size: integer("size").notNull(),
    createdAt: integer("created_at").notNull(),
    /** The message that carries it, once sent; deleting that message makes the file unreachable. */
    msgSeq: integer("msg_seq"),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("uploads_room_idx").on(t.roomId, t.msgSeq)],
);

/**
 * The bytes of uploads when the store holds them (a cluster's PostgreSQL: every node reads the same
 * rows); a single node keeps files in <data>/uploads/ and leaves this table empty. Declared here too
 * so both schemas describe the same tables.
 */
export const uploadBlobs = sqliteTable("upload_blobs", {
  id: text("id").primaryKey(),
  bytes: blob("bytes", { mode: "buffer" }).notNull(),
  size: integer("size").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    endpoint: text("endpoint").notNull().unique(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("push_user_idx").on(t.userId)],
);

/** Named server-wide secrets (the token signing key): every node of a cluster reads the same row. */
export const serverSecrets = sqliteTable("server_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Single sign-on: the provider's account (issuer, subject) → our user. Never matched by e-mail. */
export const oidcIdentities = sqliteTable(
  "oidc_identities",
  {
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index("oidc_identities_user_idx").on(t.userId)],
);

/** Background jobs that one node of a cluster runs at a time (retention): the holder until expiresAt (ms). */
export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * The expiry scan's progress (features/expiry/scan.ts): per room, every event up to `seq` was looked
 * at and its due messages expired, so a restart or another node carries on from there instead of
 * re-reading the room's tombstones. Derived state: lost, the scan starts again from seq 0.
 */
export const expiryMarks = sqliteTable("expiry_marks", {
  roomId: text("room_id").primaryKey(),
  seq: integer("seq").notNull(),
});

/** User `userId` blocked `blockedId`: no DM from them, no notification of their mentions. */
export const blocks = sqliteTable(
  "blocks",
  {
    userId: text("user_id").notNull(),
    blockedId: text("blocked_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.blockedId] })],
);

/**
 * Mail for what a user missed (--smtp-url): one row per user who gave an address. Tokens are kept as
 * their SHA-256 only; `email` is set once the address is confirmed through the mailed link.
 */
export const mailPrefs = sqliteTable(
  "mail_prefs",
  {
    userId: text("user_id").primaryKey(),
    email: text("email"),
    pendingEmail: text("pending_email"),
    confirmHash: text("confirm_hash"),
    confirmExpiresAt: integer("confirm_expires_at"),
    unsubscribeHash: text("unsubscribe_hash").notNull(),
    unsubscribed: integer("unsubscribed", { mode: "boolean" }).notNull().default(false),
    lastMailedAt: integer("last_mailed_at").notNull().default(0),
  },
  (t) => [index("mail_prefs_confirm_idx").on(t.confirmHash), index("mail_prefs_unsubscribe_idx").on(t.unsubscribeHash)],
);
