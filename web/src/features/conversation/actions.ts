// Conversation actions: edit, delete, react, mark read (socket), notification mute (HTTP); errors surface as toasts.
import { api, describeError } from "../../lib/api";
import { request, send, type RequestError } from "../../lib/socket";
import { markRoomRead, rooms, setRoomMuted } from "../../state/rooms";
import { ingest } from "../../state/timeline";
import { toast } from "../../ui/Toast";

function report(what: string) {
  return (e: RequestError) => {
    if (e.code === "disconnected") return toast(`You're offline — couldn't ${what}.`);
    toast(`Couldn't ${what}: ${e.message || e.code}`);
  };
}

async function run(frame: Parameters<typeof request>[0], what: string): Promise<boolean> {
  try {
    const ok = await request(frame);
    if (ok.event) ingest(ok.event.room, [ok.event]);
    return true;
  } catch (e) {
    report(what)(e as RequestError);
    return false;
  }
}

export const editMessage = (room: string, msgSeq: number, body: string) =>
  run({ type: "edit", room, msgSeq, body }, "edit the message");

export const deleteMessage = (room: string, msgSeq: number) => run({ type: "delete", room, msgSeq }, "delete the message");

export const react = (room: string, msgSeq: number, emoji: string, on: boolean) =>
  run({ type: "react", room, msgSeq, emoji, on }, "react");

const sentRead: Record<string, number> = {};
/** Tell the server (and other members) how far we have read. Never moves backwards. */
export function markRead(room: string, seq: number): void {
  const r = rooms[room];
  if (!seq || !r) return;
  const known = Math.max(sentRead[room] ?? 0, r.lastReadSeq ?? 0);
  if (seq > known) {
    if (!send({ type: "read", room, seq })) return;
    sentRead[room] = seq;
  }
  if (seq > (r.lastReadSeq ?? 0) || r.unread || r.mentions) markRoomRead(room, Math.max(seq, r.lastReadSeq ?? 0));
}

/** Mute or unmute a room's notifications (optimistic; reverted on failure). */
export async function toggleRoomMute(room: string): Promise<void> {
  const r = rooms[room];
  if (!r) return;
  const next = !r.notificationsMuted;
  setRoomMuted(room, next);
  try {
    await api.muteNotifications(room, next);
  } catch (e) {
    setRoomMuted(room, !next);
    toast(`Couldn't change notifications: ${describeError(e)}`);
  }
}
