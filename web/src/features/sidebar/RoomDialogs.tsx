// Dialogs: create a room, browse and join public rooms, start a direct message.
import { createResource, createSignal, For, Show } from "solid-js";
import type { Room } from "../../../../server/protocol/types";
import { api } from "../../lib/api";
import { describeError } from "../../lib/errors";
import { navigate } from "../../state/route";
import { createRoom, joinRoom, openDm } from "../../state/room-actions";
import { rooms } from "../../state/rooms";
import { Modal } from "../../ui/Modal";
import { UsernameDialog } from "../../ui/UsernameDialog";
import { IconHash, IconLock, IconUsers } from "../../ui/icons";

export function CreateRoomDialog(p: { onClose: () => void }) {
  const [name, setName] = createSignal("");
  const [topic, setTopic] = createSignal("");
  const [kind, setKind] = createSignal<"public" | "private">("public");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name().trim()) return setError("Give the room a name.");
    setBusy(true);
    setError("");
    try {
      const room = await createRoom(name().trim(), kind(), topic().trim());
      p.onClose();
      navigate(room.id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Create a room" onClose={p.onClose}>
      <form class="stack" onSubmit={submit}>
        <label>
          <span>Name</span>
          <input name="name" maxLength={64} autofocus placeholder="e.g. design-review" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          <span>
            Topic <em class="muted">(optional)</em>
          </span>
          <input name="topic" maxLength={256} placeholder="What is this room about?" value={topic()} onInput={(e) => setTopic(e.currentTarget.value)} />
        </label>
        <fieldset class="kind-pick">
          <legend>Visibility</legend>
          <label classList={{ on: kind() === "public" }}>
            <input type="radio" name="kind" value="public" checked={kind() === "public"} onChange={() => setKind("public")} />
            <IconHash />
            <span>
              <strong>Public</strong>
              <small>Anyone can find and join</small>
            </span>
          </label>
          <label classList={{ on: kind() === "private" }}>
            <input type="radio" name="kind" value="private" checked={kind() === "private"} onChange={() => setKind("private")} />
            <IconLock />
            <span>
              <strong>Private</strong>
              <small>Invite only</small>
            </span>
          </label>
        </fieldset>
        <div class="form-error" role="alert">{error()}</div>
        <div class="actions">
          <button type="button" class="btn" onClick={p.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy()}>Create room</button>
        </div>
      </form>
    </Modal>
  );
}

export function BrowseRoomsDialog(p: { onClose: () => void; onCreate: () => void }) {
  const [list] = createResource(() => api.publicRooms().then((r) => r.rooms));
  const [filter, setFilter] = createSignal("");
  const [error, setError] = createSignal("");
  const [joining, setJoining] = createSignal("");
  const shown = () => {
    const f = filter().trim().toLowerCase();
    return (list() ?? []).filter((r) => !f || r.name.toLowerCase().includes(f) || (r.topic ?? "").toLowerCase().includes(f));
  };
  const join = async (r: Room) => {
    if (rooms[r.id]) {
      p.onClose();
      return navigate(r.id);
    }
    setJoining(r.id);
    setError("");
    try {
      const room = await joinRoom(r);
      p.onClose();
      navigate(room.id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setJoining("");
    }
  };
  return (
    <Modal title="Browse public rooms" onClose={p.onClose} wide>
      <input class="search" type="search" aria-label="Filter rooms" placeholder="Filter rooms" autofocus value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
      <div class="form-error" role="alert">{error() || (list.error ? describeError(list.error) : "")}</div>
      <Show when={!list.loading} fallback={<p class="muted pad">Loading rooms…</p>}>
        <ul class="browse-list" aria-label="Public rooms">
          <For each={shown()} fallback={<li class="muted pad">No public rooms{filter() ? " match" : " yet"}.</li>}>
            {(r) => (
              <li>
                <span class="room-icon lg"><IconHash /></span>
                <div class="browse-text">
                  <strong>{r.name}</strong>
                  <span class="muted">{r.topic || "No topic"}</span>
                </div>
                <Show when={r.memberCount !== undefined}>
                  <span class="muted members"><IconUsers /> {r.memberCount}</span>
                </Show>
                <button type="button" class="btn sm" classList={{ primary: !rooms[r.id] }} disabled={joining() === r.id} onClick={() => void join(r)}>
                  {rooms[r.id] ? "Open" : "Join"}
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="actions">
        <button type="button" class="btn" onClick={p.onCreate}>Create a room instead</button>
      </div>
    </Modal>
  );
}

export function NewDmDialog(p: { onClose: () => void }) {
  return (
    <UsernameDialog
      title="New direct message"
      submitLabel="Start chat"
      onClose={p.onClose}
      action={async (u) => {
        const room = await openDm(u);
        p.onClose();
        navigate(room.id);
      }}
      errorFor={(err, u) => {
        const msg = describeError(err);
        return /not.?found/i.test(msg) || (err as { status?: number }).status === 404 ? `No user named “${u}”.` : msg;
      }}
    />
  );
}
