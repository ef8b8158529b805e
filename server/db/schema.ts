// libSQL/SQLite schema (drizzle). drizzle-kit turns changes here into migrations under drizzle/.

import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  username: text("username").notNull().unique(),
  displayName: text("display_name").notNull(),
  passwordHash: text("password_hash").notNull(),
  isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
  deactivatedAt: integer("deactivated_at"),
  createdAt: integer("created_at").notNull(),
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
});

export const members = sqliteTable(
  "members",
  {
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    readSeq: integer("read_seq").notNull().default(0),
    joinedAt: integer("joined_at").notNull(),
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
  (t) => [primaryKey({ columns: [t.roomId, t.seq] })],
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

