// The one path for a room event into the stores, whether it came as the ack of our own request, a fan-out frame, a replay or a history page.
import type { MessageEvent, RoomEvent } from "../../../server/protocol/types";
import { getSession } from "../lib/api";
import { onReceipt, stopTyping } from "./activity";
import { onMemberEvent } from "./members";
import { settle } from "./outbox";
import { refreshRoomsSoon } from "./room-actions";
import { currentRoom, navigate } from "./route";
import { bumpRoom, removeRoom, rooms, setRoomRole } from "./rooms";
import { fillAfter, hasTimeline, ingest } from "./timeline";

export function mentionsMe(ev: MessageEvent): boolean {
  const me = getSession()?.user;
  if (!me) return false;
  if (ev.mentions?.includes(me.id)) return true;
  const name = me.username.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w@])@${name}(?![\\w.-]*[\\w])`, "i").test(ev.body ?? "");
}

/**
 * Apply one live event. Our own new message arrives twice (the `ok` of our send and the fan-out,
 * in either order): both come here, the timeline dedupes by seq and the sidebar by lastSeq, so
 * whichever comes first does all the work and the second changes nothing.
 */
export function applyEvent(ev: RoomEvent): void {
  const me = getSession()?.user;
  if (!rooms[ev.room]) void refreshRoomsSoon();
  if (ev.kind === "member") {
    onMemberEvent(ev);
    const role = ev.change === "role" ? ev.role : undefined;
    if (role && rooms[ev.room]) {
      if (ev.userId === me?.id) setRoomRole(ev.room, role);
      else if (role === "owner" && rooms[ev.room].role === "owner") setRoomRole(ev.room, "admin");
    }
    if (ev.userId === me?.id && (ev.change === "leave" || ev.change === "kick" || ev.change === "ban")) {
      removeRoom(ev.room);
      if (currentRoom() === ev.room) navigate(null, true);
      return;
    }
  }
  if (hasTimeline(ev.room) && !ingest(ev.room, [ev]).length) return;
  bumpRoom(ev, me?.id, ev.kind === "message" && ev.sender !== me?.id && mentionsMe(ev));
  if (ev.kind === "message") {
    settle(ev);
    stopTyping(ev.room, ev.sender);
    // Sending implies having read up to it.
    onReceipt(ev.room, ev.sender, ev.seq);
  }
  if (hasTimeline(ev.room)) void fillAfter(ev.room);
}
