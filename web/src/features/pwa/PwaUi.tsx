// The installed app's own UI: the "reload to update" bar and the room picker for something shared into Parley.
import { For, Show } from "solid-js";
import { roomTitle, sortedRooms } from "../../state/rooms";
import { navigate } from "../../state/route";
import { me } from "../../state/session";
import { Modal } from "../../ui/Modal";
import { attachFiles } from "../conversation/ComposerFiles";
import { applyUpdate, updateWaiting } from "./app";
import { dismissShare, incoming, shareInto } from "./share";

export function UpdateBar() {
  return (
    <Show when={updateWaiting()}>
      <div class="banner update-bar" role="status" aria-live="polite">
        <span>A new version of Parley is ready.</span>
        <button type="button" class="link" onClick={applyUpdate}>
          Reload to update
        </button>
      </div>
    </Show>
  );
}

export function ShareDialog() {
  const pick = (room: string) => {
    navigate(room);
    shareInto(room, (room, files) => attachFiles({ room }, files));
  };
  return (
    <Show when={me() && incoming()}>
      {(s) => (
        <Modal title="Share to…" onClose={dismissShare}>
          <div class="share-pick">
            <p class="muted share-what">
              {[s().text && (s().text.length > 80 ? s().text.slice(0, 80) + "…" : s().text), s().files.length && `${s().files.length} file${s().files.length === 1 ? "" : "s"}`].filter(Boolean).join(" · ") || "Nothing to share"}
            </p>
            <Show when={sortedRooms().length} fallback={<p>Join or create a room first, then share again.</p>}>
              <ul class="share-rooms" aria-label="Rooms">
                <For each={sortedRooms()}>
                  {(r) => (
                    <li>
                      <button type="button" class="share-room" onClick={() => pick(r.id)}>
                        {r.kind === "dm" ? "" : "#"}
                        {roomTitle(r)}
                      </button>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </div>
        </Modal>
      )}
    </Show>
  );
}
