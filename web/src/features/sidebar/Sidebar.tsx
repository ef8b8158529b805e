// Sidebar: rooms and DMs sorted by activity with unread badges, plus create / browse / DM actions.
import { createMemo, createSignal, For, Show } from "solid-js";
import type { Room } from "../../../../server/protocol/types";
import { formatWhen } from "../../lib/format";
import { notifyPermission, askPermission } from "../../state/notify";
import { currentRoom, navigate } from "../../state/route";
import { roomTitle, sortedRooms } from "../../state/rooms";
import { logout, me } from "../../state/session";
import { displayName, presence } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { IconBell, IconHash, IconLock, IconLogout, IconMessage, IconPlus, IconSearch } from "../../ui/icons";
import { BrowseRoomsDialog, CreateRoomDialog, NewDmDialog } from "./RoomDialogs";

function RoomRow(p: { room: Room }) {
  const active = () => currentRoom() === p.room.id;
  const unread = () => (active() ? 0 : (p.room.unread ?? 0));
  const mentions = () => (active() ? 0 : (p.room.mentions ?? 0));
  const title = () => roomTitle(p.room);
  const label = () => {
    const parts = [p.room.kind === "dm" ? `Direct message with ${title()}` : `Room ${title()}`];
    if (unread()) parts.push(`${unread()} unread`);
    if (mentions() && p.room.kind !== "dm") parts.push(`${mentions()} mention${mentions() === 1 ? "" : "s"}`);
    return parts.join(", ");
  };
  return (
    <li>
      <a
        href={`/r/${encodeURIComponent(p.room.id)}`}
        class="room-row"
        classList={{ active: active(), unread: unread() > 0 }}
        aria-current={active() ? "page" : undefined}
        aria-label={label()}
        data-room={p.room.id}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigate(p.room.id);
        }}
      >
        <Show
          when={p.room.kind === "dm" && p.room.peer}
          fallback={<span class="room-icon">{p.room.kind === "private" ? <IconLock /> : <IconHash />}</span>}
        >
          {(peer) => <Avatar name={title()} seed={peer().id} size={28} status={presence[peer().id] ?? "offline"} />}
        </Show>
        <span class="room-name">{title()}</span>
        <span class="room-meta">
          <Show when={unread() > 0} fallback={<time class="when">{formatWhen(p.room.lastActivity)}</time>}>
            <span class="badge" classList={{ mention: mentions() > 0 || p.room.kind === "dm" }} aria-hidden="true">
              {mentions() > 0 && p.room.kind !== "dm" ? `@${mentions()}` : unread() > 99 ? "99+" : unread()}
            </span>
          </Show>
        </span>
      </a>
    </li>
  );
}

export function Sidebar() {
  const [dialog, setDialog] = createSignal<"create" | "browse" | "dm" | null>(null);
  const channels = createMemo(() => sortedRooms().filter((r) => r.kind !== "dm"));
  const dms = createMemo(() => sortedRooms().filter((r) => r.kind === "dm"));
  const user = () => me();

  return (
    <nav class="sidebar" aria-label="Conversations">
      <header class="side-head">
        <div class="brand small">
          <img src="/favicon.svg" alt="" width="26" height="26" />
          <span>Parley</span>
        </div>
        <div class="side-actions">
          <button type="button" class="icon-btn" aria-label="Browse public rooms" title="Browse public rooms" onClick={() => setDialog("browse")}>
            <IconSearch />
          </button>
          <button type="button" class="icon-btn" aria-label="New direct message" title="New direct message" onClick={() => setDialog("dm")}>
            <IconMessage />
          </button>
        </div>
      </header>
      <div class="side-scroll">
        <section aria-labelledby="h-rooms">
          <div class="side-section">
            <h2 id="h-rooms">Rooms</h2>
            <button type="button" class="icon-btn sm" aria-label="Create a room" title="Create a room" onClick={() => setDialog("create")}>
              <IconPlus />
            </button>
          </div>
          <ul class="room-list">
            <For each={channels()}>{(r) => <RoomRow room={r} />}</For>
          </ul>
          <Show when={!channels().length}>
            <div class="side-empty">
              <p>You haven't joined any rooms yet.</p>
              <div class="row">
                <button type="button" class="btn sm" onClick={() => setDialog("browse")}>Browse</button>
                <button type="button" class="btn sm primary" onClick={() => setDialog("create")}>Create</button>
              </div>
            </div>
          </Show>
        </section>
        <section aria-labelledby="h-dms">
          <div class="side-section">
            <h2 id="h-dms">Direct messages</h2>
            <button type="button" class="icon-btn sm" aria-label="Start a direct message" title="Start a direct message" onClick={() => setDialog("dm")}>
              <IconPlus />
            </button>
          </div>
          <ul class="room-list">
            <For each={dms()}>{(r) => <RoomRow room={r} />}</For>
          </ul>
          <Show when={!dms().length}>
            <p class="side-empty muted">Start a conversation with someone by username.</p>
          </Show>
        </section>
      </div>
      <footer class="side-foot">
        <Show when={user()}>
          {(u) => (
            <>
              <Avatar name={displayName(u().id) || u().username} seed={u().id} size={32} status="online" />
              <div class="me">
                <strong>{u().displayName || u().username}</strong>
                <span class="muted">@{u().username}</span>
              </div>
            </>
          )}
        </Show>
        <Show when={notifyPermission() === "default"}>
          <button type="button" class="icon-btn" aria-label="Enable desktop notifications" title="Enable desktop notifications" onClick={() => void askPermission()}>
            <IconBell />
          </button>
        </Show>
        <button type="button" class="icon-btn" aria-label="Log out" title="Log out" onClick={() => void logout()}>
          <IconLogout />
        </button>
      </footer>
      <Show when={dialog() === "create"}>
        <CreateRoomDialog onClose={() => setDialog(null)} />
      </Show>
      <Show when={dialog() === "browse"}>
        <BrowseRoomsDialog onClose={() => setDialog(null)} onCreate={() => setDialog("create")} />
      </Show>
      <Show when={dialog() === "dm"}>
        <NewDmDialog onClose={() => setDialog(null)} />
      </Show>
    </nav>
  );
}
