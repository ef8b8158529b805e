// Conversation header actions: notification mute (bell), members, settings for admins, add people, leave.
import { createSignal, Show } from "solid-js";
import type { Room } from "../../../../server/protocol/types";
import { describeError } from "../../lib/errors";
import { memberCount } from "../../state/members";
import { addMember, leaveRoom, toggleRoomMute } from "../../state/room-actions";
import { IconBell, IconBellOff, IconDoorOut, IconSettings, IconUserPlus, IconUsers } from "../../ui/icons";
import { UsernameDialog } from "../../ui/UsernameDialog";
import { toast, toastError } from "../../ui/Toast";
import { MembersDialog, RoomSettingsDialog } from "./RoomAdmin";

function InviteDialog(p: { room: Room; onClose: () => void }) {
  const status = (err: unknown) => (err as { status?: number }).status;
  return (
    <UsernameDialog
      title={`Add people to #${p.room.name}`}
      submitLabel="Add"
      onClose={p.onClose}
      action={async (u) => {
        await addMember(p.room.id, u);
        toast(`Added @${u} to #${p.room.name}.`);
        p.onClose();
      }}
      errorFor={(err, u) => (status(err) === 404 ? `No user named “${u}”.` : status(err) === 409 ? `@${u} is already a member.` : describeError(err))}
    />
  );
}

export function RoomActions(p: { room: Room }) {
  const [dialog, setDialog] = createSignal<"invite" | "members" | "settings" | null>(null);
  const isAdmin = () => p.room.role === "owner" || p.room.role === "admin";
  const canInvite = () => p.room.kind === "public" || isAdmin();
  const count = () => memberCount(p.room.id) ?? p.room.memberCount;
  const leave = async () => {
    if (!window.confirm(`Leave #${p.room.name}?${p.room.kind === "private" ? " You'll need a new invite to come back." : ""}`)) return;
    await leaveRoom(p.room.id).catch(toastError("leave"));
  };
  const close = () => setDialog(null);
  return (
    <div class="head-actions">
      <button
        type="button"
        class="icon-btn"
        classList={{ "is-muted": !!p.room.notificationsMuted }}
        aria-pressed={!!p.room.notificationsMuted}
        aria-label={p.room.notificationsMuted ? "Unmute notifications" : "Mute notifications"}
        title={p.room.notificationsMuted ? "Notifications muted: click to unmute" : "Mute notifications"}
        onClick={() => toggleRoomMute(p.room.id).catch(toastError("change notifications"))}
      >
        <Show when={p.room.notificationsMuted} fallback={<IconBell />}>
          <IconBellOff />
        </Show>
      </button>
      <Show when={p.room.kind !== "dm"}>
        <button type="button" class="icon-btn members-btn" aria-label={`Members${count() ? ` (${count()})` : ""}`} title="Members" onClick={() => setDialog("members")}>
          <IconUsers />
          <Show when={count()}><span>{count()}</span></Show>
        </button>
        <Show when={isAdmin()}>
          <button type="button" class="icon-btn" aria-label="Room settings" title="Room settings" onClick={() => setDialog("settings")}>
            <IconSettings />
          </button>
        </Show>
        <Show when={canInvite()}>
          <button type="button" class="icon-btn" aria-label="Add people" title="Add people" onClick={() => setDialog("invite")}>
            <IconUserPlus />
          </button>
        </Show>
        <button type="button" class="icon-btn" aria-label="Leave room" title="Leave room" onClick={() => void leave()}>
          <IconDoorOut />
        </button>
      </Show>
      <Show when={dialog() === "invite"}>
        <InviteDialog room={p.room} onClose={close} />
      </Show>
      <Show when={dialog() === "members"}>
        <MembersDialog room={p.room} onClose={close} />
      </Show>
      <Show when={dialog() === "settings"}>
        <RoomSettingsDialog room={p.room} onClose={close} />
      </Show>
    </div>
  );
}
