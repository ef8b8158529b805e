// Wire types shared by server, web client and bench: plain TypeScript, no runtime dependencies.

export type RoomKind = "public" | "private" | "dm";
export type Role = "owner" | "admin" | "member";
export type PresenceStatus = "online" | "away" | "dnd" | "offline";
export type MemberChange = "join" | "leave" | "kick" | "invite" | "ban" | "unban" | "mute" | "role";

export interface User {
  id: string;
  username: string;
  displayName: string;
  /** A URL an <img> can load (no auth needed); absent when the user has no avatar. */
  avatarUrl?: string;
  isAdmin: boolean;
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
  /** Slow mode: at most one message per this many seconds per member (0 = off). */
  slowModeSec?: number;
  /** Expiring messages: messages older than this many seconds are deleted (0 = off). */
  messageTtlSec?: number;
  /** The caller muted this room's notifications. */
  notificationsMuted?: boolean;
}

export interface Attachment {
  id: string;
  filename: string;
  mime: string;
  size: number;
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
  /** History and replay: enough of the quoted message to render it. */
  replyPreview?: { seq: number; sender: string; body: string; deleted: boolean };
  /** User ids mentioned with @username, parsed by the server. */
  mentions?: string[];
  attachments?: Attachment[];
  editedAt?: number;
  deleted?: boolean;
  reactions?: Record<string, string[]>;
  /** A thread reply: the seq of its root (a top-level message of the same room). */
  threadRoot?: number;
  /** A thread reply the sender also showed in the room. */
  alsoInRoom?: boolean;
  /** History and replay of a top-level message with live replies (computed on read, never stored). */
  thread?: ThreadSummary;
  /** A forwarded message: where it came from (body and attachments are copies). */
  forwarded?: { room: string; roomName: string; sender: string; ts: number };
}

export interface ThreadSummary {
  replies: number;
  lastReplyAt: number;
  /** User ids who replied, in no particular order. */
  participants: string[];
}
export interface EditEvent extends EventBase {
  kind: "edit";
  msgSeq: number;
  body: string;
}
export interface DeleteEvent extends EventBase {
  kind: "delete";
  msgSeq: number;
  /** Deleted by the expiry job (the room's messageTtlSec), not by a person. */
  expired?: boolean;
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
  /** change "mute": may not send until then (ms); null lifts it. */
  until?: number | null;
  /** change "role": the member's role from this event on. */
  role?: Role;
}
export interface RoomChangeEvent extends EventBase {
  kind: "room";
  name?: string;
  topic?: string;
  slowModeSec?: number;
  messageTtlSec?: number;
}

/** A link preview card for message msgSeq, appended by the server after it fetched the link (protocol 1.2). */
export interface PreviewEvent extends EventBase {
  kind: "preview";
  msgSeq: number;
  url: string;
  title: string;
  description: string;
  siteName: string;
  /** The page's og:image, stored like an upload (GET /api/uploads/:id); absent when none could be fetched. */
  image?: Attachment;
}

export type RoomEvent = MessageEvent | EditEvent | DeleteEvent | ReactionEvent | MemberEvent | RoomChangeEvent | PreviewEvent;
export type EventKind = RoomEvent["kind"];

/** GET /api/rooms/:id/members */
export interface RoomMember {
  user: User;
  role: Role;
  readSeq: number;
  /** What reached the member's clients; at least readSeq. */
  deliveredSeq: number;
  silencedUntil: number | null;
  presence?: PresenceInfo;
}

/** GET /api/search results */
export interface SearchResult {
  room: string;
  seq: number;
  sender: string;
  ts: number;
  body: string;
  /** GET /api/search: where the query's words and phrases occur in body, [start, end) in UTF-16 code units, sorted, merged. */
  highlights?: [number, number][];
}

// ---- client → server frames

// Defined once, as TypeBox schemas in schemas.ts; their types are derived from them. A type-only
// re-export: importing this file still pulls no TypeBox into the web bundle.
export type { ClientFrame, ClientFrameOf, FrameType } from "./schemas";

// ---- server → client frames

export interface PresenceInfo {
  userId: string;
  status: PresenceStatus;
  lastSeen: number;
}

export type ServerFrame =
  | { type: "welcome"; user: User; sessionId: string; serverTime: number; rooms: Room[]; presence?: PresenceInfo[] }
  | { type: "ok"; id?: string; event?: RoomEvent; events?: RoomEvent[]; hasMore?: boolean; /** read: the read position now stored */ seq?: number }
  | { type: "error"; id?: string; code: ErrorCode; message: string; retryAfterMs?: number; /** hello: a `since` room the user may not resume */ room?: string }
  | { type: "event"; event: RoomEvent }
  | { type: "gap"; room: string; fromSeq: number; toSeq: number }
  | { type: "typing"; room: string; userId: string; expiresAt: number }
  /** seq: the member's read mark; delivered: their delivered mark (protocol 1.2), at least seq. */
  | { type: "receipt"; room: string; userId: string; seq: number; delivered?: number }
  /** Several receipts at once: the delivered marks that moved within one interval (protocol 1.2, coalesced). */
  | { type: "marks"; room: string; marks: { userId: string; seq: number; delivered: number }[] }
  | ({ type: "presence" } & PresenceInfo)
  | { type: "pong"; id?: string; serverTime: number }
  | { type: "notification"; kind: NotificationKind; room: string; seq: number; sender: string; body: string }
  /** A user's profile changed (display name, avatar): sent to the user and everyone sharing a room with them. */
  | { type: "user"; user: User };

/** Why a notification reached you: a mention, a DM, a reply in a thread you started or replied to. */
export type NotificationKind = "mention" | "dm" | "thread";

export type ErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "invalid_credentials"
  | "token_expired"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "unsupported_type"
  | "rate_limited"
  | "registration_closed"
  | "invite_required"
  | "invalid_invite"
  | "last_admin"
  | "internal";

export const LIMITS = {
  BODY_MAX_CHARS: 4000,
  CLIENT_MSG_ID_MAX: 64,
  REQUEST_ID_MAX: 64,
  /** Room and upload ids a client sends back (the server makes 16-character ones). */
  ID_MAX: 64,
  /** The access token in hello. */
  TOKEN_MAX_CHARS: 4096,
  EMOJI_MAX_CHARS: 32,
  /** Files one message may carry. */
  ATTACHMENTS_MAX: 10,
  FRAME_MAX_BYTES: 64 * 1024,
  HISTORY_DEFAULT: 50,
  HISTORY_MAX: 200,
  USERNAME_RE: /^[a-z0-9_.-]{3,32}$/,
  PASSWORD_MIN: 8,
  HELLO_TIMEOUT_MS: 10_000,
  TYPING_TTL_MS: 5_000,
  /** `unread` counts up to this; this value means "this many or more" (shown as 99+). */
  UNREAD_COUNT_MAX: 100,
} as const;

export const CLOSE = {
  UNAUTHENTICATED: 4001,
  BANNED: 4003,
  POLICY: 4008,
  /** The socket stopped reading: its send backlog passed --ws-backlog. Reconnect and resume by seq. */
  SLOW_CONSUMER: 4013,
  TOO_BIG: 1009,
  RESTARTING: 1012,
  GOING_AWAY: 1001,
} as const;
