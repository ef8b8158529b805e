// Routes server frames into the stores: welcome, events, gaps, typing, receipts, presence, profile changes, notifications.
import type { ServerFrame } from "../../../server/protocol/types";
import { getSession, refresh, setSession } from "../lib/api";
import { startSocket, stopSocket } from "../lib/socket";
import { onReceipt, onTyping, reportDelivered, setServerTime } from "./activity";
import { applyEvent } from "./events";
import { applyUser } from "./me";
import { flushOutbox } from "./messages";
import { notify } from "./notify";
import { refreshRoomsSoon } from "./room-actions";
import { openMessage } from "./route";
import { roomTitle, rooms, setAllRooms } from "./rooms";
import { announceStatus } from "./status";
import { fillAfter, hasTimeline, loadLatest, sinceMap } from "./timeline";
import { applyPresence, displayName, rememberUser } from "./users";

type NotificationFrame = Extract<ServerFrame, { type: "notification" }>;

/** The server decided this deserves a notification (mention or DM, room not muted): show it while the tab is hidden. */
async function onNotification(f: NotificationFrame): Promise<void> {
  if (!rooms[f.room]) await refreshRoomsSoon();
  const room = rooms[f.room];
  const who = displayName(f.sender);
  const title = f.kind === "dm" || room?.kind === "dm" ? who : `${who} in #${roomTitle(room) || "a room"}`;
  notify(title, f.body, () => openMessage(f.room, f.seq), `${f.room}:${f.seq}`);
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
      // Everything up to each room's lastSeq has reached this client (protocol 1.2 delivered ticks); a read
      // mark already implies delivery, so only rooms with unread events are reported.
      for (const r of f.rooms ?? []) if (r.lastSeq > (r.lastReadSeq ?? 0)) reportDelivered(r.id, r.lastSeq);
      // Timelines loaded while offline may have fallen behind the welcome's lastSeq; one opened while offline
      // (the app shell started with no server) never loaded: load it now.
      for (const r of f.rooms ?? []) if (hasTimeline(r.id)) void loadLatest(r.id, r.lastSeq).then(() => fillAfter(r.id, r.lastSeq));
      return;
    }
    case "event":
      applyEvent(f.event);
      if (f.event.sender !== getSession()?.user.id) reportDelivered(f.event.room, f.event.seq);
      return;
    case "gap":
      if (hasTimeline(f.room)) void fillAfter(f.room, f.toSeq);
      return;
    case "typing":
      if (f.userId !== getSession()?.user.id) onTyping(f.room, f.userId, f.expiresAt);
      return;
    case "receipt":
      return onReceipt(f.room, f.userId, f.seq, f.delivered);
    case "marks": // several members' receipts at once (delivered marks, coalesced by the server)
      for (const m of f.marks) onReceipt(f.room, m.userId, m.seq, m.delivered);
      return;
    case "presence":
      return applyPresence(f);
    case "notification":
      if (f.sender !== getSession()?.user.id) void onNotification(f);
      return;
    case "user":
      return applyUser(f.user);
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
    onBanned: () => setSession(null, "deactivated"),
  });
}

export function stopSync(): void {
  stopSocket();
}

