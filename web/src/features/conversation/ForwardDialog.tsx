// Forward a message: pick a room or DM (filterable); the server copies the body and files and marks the origin.
import { createSignal, For, Show } from "solid-js";
import { describeError } from "../../lib/errors";
import { plainPreview } from "../../lib/markdown";
import { forwardMessage } from "../../state/messages";
import { roomTitle, sortedRooms } from "../../state/rooms";
import type { MsgItem } from "../../state/timeline";
import { displayName } from "../../state/users";
import { Modal } from "../../ui/Modal";
import { toast } from "../../ui/Toast";

export function ForwardDialog(p: { room: string; item: MsgItem; onClose(): void }) {
  const [filter, setFilter] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const list = () => sortedRooms().filter((r) => roomTitle(r).toLowerCase().includes(filter().trim().toLowerCase()));
  const send = async (to: string, title: string) => {
    setBusy(true);
    setError("");
    try {
      await forwardMessage(to, p.room, p.item.seq);
      toast(`Forwarded to ${title}.`);
      p.onClose();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Forward message" onClose={p.onClose}>
      <p class="fwd-quote">
        <strong>{displayName(p.item.sender)}</strong> <span class="muted">{plainPreview(p.item.body, 120)}</span>
      </p>
      <input type="search" aria-label="Find a room or person" placeholder="Find a room or person" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
      <ul class="fwd-list" aria-label="Forward to">
        <For each={list()} fallback={<li class="muted pad">No conversation matches.</li>}>
          {(r) => {
            const title = () => (r.kind === "dm" ? roomTitle(r) : `#${roomTitle(r)}`);
            return (
              <li>
                <button type="button" class="fwd-target" disabled={busy()} onClick={() => void send(r.id, title())}>
                  {title()}
                </button>
              </li>
            );
          }}
        </For>
      </ul>
      <Show when={error()}>
        <div class="form-error" role="alert">{error()}</div>
      </Show>
    </Modal>
  );
}
