// Conversation header actions for rooms: add someone by username, leave the room.
import { createSignal, Show } from "solid-js";
import { LIMITS, type Room } from "../../../../server/protocol/types";
import { api, describeError } from "../../lib/api";
import { navigate } from "../../state/route";
import { removeRoom } from "../../state/rooms";
import { IconDoorOut, IconUserPlus } from "../../ui/icons";
import { Modal } from "../../ui/Modal";
import { toast } from "../../ui/Toast";

function InviteDialog(p: { room: Room; onClose: () => void }) {
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const u = name().trim().replace(/^@/, "").toLowerCase();
    if (!LIMITS.USERNAME_RE.test(u)) return setError("Enter a valid username.");
    setBusy(true);
    setError("");
    try {
      await api.invite(p.room.id, u);
      toast(`Added @${u} to #${p.room.name}.`);
      p.onClose();
    } catch (err) {
      const status = (err as { status?: number }).status;
      setError(status === 404 ? `No user named “${u}”.` : status === 409 ? `@${u} is already a member.` : describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={`Add people to #${p.room.name}`} onClose={p.onClose}>
      <form class="stack" onSubmit={submit}>
        <label>
          <span>Username</span>
          <input name="username" autofocus autocapitalize="none" spellcheck={false} placeholder="e.g. alice" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <div class="form-error" role="alert">{error()}</div>
        <div class="actions">
          <button type="button" class="btn" onClick={p.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy()}>Add</button>
        </div>
      </form>
    </Modal>
  );
}

export function RoomActions(p: { room: Room }) {
  const [inviting, setInviting] = createSignal(false);
  const canInvite = () => p.room.kind === "public" || p.room.role === "owner" || p.room.role === "admin";
  const leave = async () => {
    if (!window.confirm(`Leave #${p.room.name}?${p.room.kind === "private" ? " You'll need a new invite to come back." : ""}`)) return;
    try {
      await api.leave(p.room.id);
      removeRoom(p.room.id);
      navigate(null, true);
    } catch (err) {
      toast(`Couldn't leave: ${describeError(err)}`);
    }
  };
  return (
    <div class="head-actions">
      <Show when={canInvite()}>
        <button type="button" class="icon-btn" aria-label="Add people" title="Add people" onClick={() => setInviting(true)}>
          <IconUserPlus />
        </button>
      </Show>
      <button type="button" class="icon-btn" aria-label="Leave room" title="Leave room" onClick={() => void leave()}>
        <IconDoorOut />
      </button>
      <Show when={inviting()}>
        <InviteDialog room={p.room} onClose={() => setInviting(false)} />
      </Show>
    </div>
  );
}
