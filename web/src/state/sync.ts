// Routes server frames into the stores: welcome, events, gaps, typing, receipts, presence, notifications.
import type { MessageEvent, RoomEvent, ServerFrame } from "../../../server/protocol/types";
import { api, getSession, refresh, setSession } from "../lib/api";
import { startSocket, stopSocket } from "../lib/socket";
import { onReceipt, onTyping, setServerTime, stopTyping } from "./activity";
import { onMemberEvent } from "./members";
import { notify } from "./notify";
import { flushOutbox, settle } from "./outbox";
import { currentRoom, navigate } from "./route";
import { bumpRoom, removeRoom, roomTitle, rooms, setAllRooms, upsertRoom } from "./rooms";
import { announceStatus } from "./status";
import { fillAfter, hasTimeline, ingest, sinceMap } from "./timeline";
import { applyPresence, displayName, rememberUser } from "./users";

let refreshing: Promise<void> | undefined;

/** Re-read the room list soon (a DM or invite we did not know about); coalesces bursts. */
export function refreshRoomsSoon(): Promise<void> {
  refreshing ??= new Promise<void>((r) => setTimeout(r, 150))
    .then(() => api.rooms())
    .then((r) => setAllRooms(r.rooms))
    .catch(() => undefined)
    .finally(() => (refreshing = undefined));
  return refreshing;
}

type NotificationFrame = Extract<ServerFrame, { type: "notification" }>;

/** The server decided this deserves a notification (mention or DM, room not muted): show it while the tab is hidden. */
async function onNotification(f: NotificationFrame): Promise<void> {
  if (!rooms[f.room]) await refreshRoomsSoon();
  const room = rooms[f.room];
  const who = displayName(f.sender);
  const title = f.kind === "dm" || room?.kind === "dm" ? who : `${who} in #${roomTitle(room) || "a room"}`;
  notify(title, f.body, () => navigate(f.room), `${f.room}:${f.seq}`);
}

export function mentionsMe(ev: MessageEvent): boolean {
  const me = getSession()?.user;
  if (!me) return false;
  if (ev.mentions?.includes(me.id)) return true;
  const name = me.username.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w@])@${name}(?![\\w.-]*[\\w])`, "i").test(ev.body ?? "");
}

function onEvent(ev: RoomEvent): void {
  const me = getSession()?.user;
  if (!rooms[ev.room]) void refreshRoomsSoon();
  if (ev.kind === "member") {
    onMemberEvent(ev);
    if (ev.userId === me?.id && (ev.change === "leave" || ev.change === "kick" || ev.change === "ban")) {
      removeRoom(ev.room);
      if (currentRoom() === ev.room) navigate(null, true);
      return;
    }
  }
  const fresh = hasTimeline(ev.room) ? ingest(ev.room, [ev]).length > 0 : true;
  if (!fresh) return;
  const mentioned = ev.kind === "message" && ev.sender !== me?.id && mentionsMe(ev);
  bumpRoom(ev, me?.id, mentioned);
  if (ev.kind === "message") {
    settle(ev);
    stopTyping(ev.room, ev.sender);
    // Sending implies having read up to it.
    onReceipt(ev.room, ev.sender, ev.seq);
  }
  if (hasTimeline(ev.room)) void fillAfter(ev.room);
}

function onFrame(f: ServerFrame): void {
  switch (f.type) {
    case "welcome": {
      setServerTime(f.serverTime);
      rememberUser(f.user);
      setAllRooms(f.rooms ?? []);
      for (const p of f.presence ?? []) applyPresence(p);
      announceStatus();
      flushOutbox();
      // Timelines loaded while offline may have fallen behind the welcome's lastSeq.
      for (const r of f.rooms ?? []) if (hasTimeline(r.id)) void fillAfter(r.id, r.lastSeq);
      return;
    }
    case "event":
      return onEvent(f.event);
    case "gap":
      if (hasTimeline(f.room)) void fillAfter(f.room, f.toSeq);
      return;
    case "typing":
      if (f.userId !== getSession()?.user.id) onTyping(f.room, f.userId, f.expiresAt);
      return;
    case "receipt":
      return onReceipt(f.room, f.userId, f.seq);
    case "presence":
      return applyPresence(f);
    case "notification":
      if (f.sender !== getSession()?.user.id) void onNotification(f);
      return;
    default:
      return;
  }
}

export function startSync(): void {
  startSocket({
    hello() {
      const s = getSession();
      if (!s) return null;
      return { type: "hello", token: s.accessToken, since: sinceMap() };
    },
    onFrame,
    onUnauthenticated: () => refresh(),
    onBanned: () => setSession(null),
  });
}

export function stopSync(): void {
  stopSocket();
}

export { upsertRoom };
