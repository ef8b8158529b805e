// Wire types shared by server, web client and bench: plain TypeScript, no runtime dependencies.

export type RoomKind = "public" | "private" | "dm";
export type Role = "owner" | "admin" | "member";
export type PresenceStatus = "online" | "away" | "dnd" | "offline";
export type MemberChange = "join" | "leave" | "kick" | "invite" | "ban";

export interface User {
  id: string;
  username: string;
  displayName: string;
}

export interface Room {
  id: string;
  name: string;
  kind: RoomKind;
  topic: string;
  lastSeq: number;
  /** Present on the caller's own rooms (GET /api/rooms, welcome). */
  role?: Role;
  lastReadSeq?: number;
  unread?: number;
  mentions?: number;
  /** ms of the newest event, for sorting by activity. */
  lastActivity?: number;
  memberCount?: number;
  /** DMs: the other member. */
  peer?: User;
}

interface EventBase {
  room: string;
  seq: number;
  sender: string;
  ts: number;
}

export interface MessageEvent extends EventBase {
  kind: "message";
  msgId: string;
  clientMsgId: string;
  body: string;
  replyTo?: number;
  mentions?: string[];
  attachments?: string[];
  editedAt?: number;
  deleted?: boolean;
  reactions?: Record<string, string[]>;
}
export interface EditEvent extends EventBase {
  kind: "edit";
  msgSeq: number;
  body: string;
}
export interface DeleteEvent extends EventBase {
  kind: "delete";
  msgSeq: number;
}
export interface ReactionEvent extends EventBase {
  kind: "reaction";
  msgSeq: number;
  emoji: string;
  on: boolean;
}
export interface MemberEvent extends EventBase {
  kind: "member";
  userId: string;
  change: MemberChange;
  user?: User;
}
export interface RoomChangeEvent extends EventBase {
  kind: "room";
  name?: string;
  topic?: string;
}

export type RoomEvent = MessageEvent | EditEvent | DeleteEvent | ReactionEvent | MemberEvent | RoomChangeEvent;
export type EventKind = RoomEvent["kind"];

// ---- client → server frames

export type ClientFrame =
  | { type: "hello"; token: string; since?: Record<string, number> }
  | { type: "send"; id?: string; room: string; clientMsgId: string; body: string; replyTo?: number }
  | { type: "edit"; id?: string; room: string; msgSeq: number; body: string }
  | { type: "delete"; id?: string; room: string; msgSeq: number }
  | { type: "react"; id?: string; room: string; msgSeq: number; emoji: string; on: boolean }
  | { type: "history"; id?: string; room: string; before?: number; after?: number; limit?: number }
  | { type: "typing"; id?: string; room: string }
  | { type: "read"; id?: string; room: string; seq: number }
  | { type: "presence"; id?: string; status: "online" | "away" | "dnd" }
  | { type: "ping"; id?: string };

// ---- server → client frames

export interface PresenceInfo {
  userId: string;
  status: PresenceStatus;
  lastSeen: number;
}

export type ServerFrame =
  | { type: "welcome"; user: User; sessionId: string; serverTime: number; rooms: Room[]; presence?: PresenceInfo[] }
  | { type: "ok"; id?: string; event?: RoomEvent; events?: RoomEvent[]; hasMore?: boolean }
  | { type: "error"; id?: string; code: ErrorCode; message: string; retryAfterMs?: number }
  | { type: "event"; event: RoomEvent }
  | { type: "gap"; room: string; fromSeq: number; toSeq: number }
  | { type: "typing"; room: string; userId: string; expiresAt: number }
  | { type: "receipt"; room: string; userId: string; seq: number }
  | ({ type: "presence" } & PresenceInfo)
  | { type: "pong"; id?: string; serverTime: number };

export type ErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "invalid_credentials"
  | "token_expired"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "rate_limited"
  | "internal";

export const LIMITS = {
  BODY_MAX_CHARS: 4000,
  CLIENT_MSG_ID_MAX: 64,
  REQUEST_ID_MAX: 64,
  FRAME_MAX_BYTES: 64 * 1024,
  HISTORY_DEFAULT: 50,
  HISTORY_MAX: 200,
  USERNAME_RE: /^[a-z0-9_.-]{3,32}$/,
  PASSWORD_MIN: 8,
  HELLO_TIMEOUT_MS: 10_000,
  TYPING_TTL_MS: 5_000,
} as const;

export const CLOSE = {
  UNAUTHENTICATED: 4001,
  BANNED: 4003,
  POLICY: 4008,
  TOO_BIG: 1009,
  RESTARTING: 1012,
  GOING_AWAY: 1001,
} as const;
