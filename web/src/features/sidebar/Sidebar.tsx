// Sidebar: rooms and DMs by activity with unread and mention badges, per-room notification mute, DM presence; search, create, browse, DM.
import { createMemo, createSignal, For, onCleanup, Show } from "solid-js";
import type { Room } from "../../../../server/protocol/types";
import { formatWhen, presenceText } from "../../lib/format";
import { currentRoom, navigate } from "../../state/route";
import { roomTitle, sortedRooms } from "../../state/rooms";
import { lastSeen, presence } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { IconBellOff, IconBellSm, IconCompass, IconHash, IconLock, IconMessage, IconPlus, IconSearch } from "../../ui/icons";
import { toggleRoomMute } from "../../state/room-actions";
import { toastError } from "../../ui/Toast";
import { SearchDialog } from "../search/SearchDialog";
import { BrowseRoomsDialog, CreateRoomDialog, NewDmDialog } from "./RoomDialogs";
import { SideFoot } from "./SideFoot";

function RoomRow(p: { room: Room }) {
  const active = () => currentRoom() === p.room.id;
  const unread = () => (active() ? 0 : (p.room.unread ?? 0));
  const mentions = () => (active() ? 0 : (p.room.mentions ?? 0));
  const isDm = () => p.room.kind === "dm";
  const title = () => roomTitle(p.room);
  const status = () => (p.room.peer ? presenceText(presence[p.room.peer.id] ?? "offline", lastSeen[p.room.peer.id]) : "");
  const label = () => {
    const parts = [isDm() ? `Direct message with ${title()}` : `Room ${title()}`];
    if (unread()) parts.push(unread() > 99 ? "more than 99 unread" : `${unread()} unread`);
    if (mentions() && !isDm()) parts.push(`${mentions()} mention${mentions() === 1 ? "" : "s"}`);
    if (p.room.notificationsMuted) parts.push("muted");
    return parts.join(", ");
  };
  return (
    <li class="room-item" classList={{ muted: !!p.room.notificationsMuted }}>
      <a
        href={`/r/${encodeURIComponent(p.room.id)}`}
        class="room-row"
        classList={{ active: active(), unread: unread() > 0 }}
        aria-current={active() ? "page" : undefined}
        aria-label={label()}
        title={isDm() ? `${title()} · ${status()}` : undefined}
        data-room={p.room.id}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
          e.preventDefault();
          navigate(p.room.id);
        }}
      >
        <Show when={isDm() && p.room.peer} fallback={<span class="room-icon">{p.room.kind === "private" ? <IconLock /> : <IconHash />}</span>}>
          {(peer) => <Avatar name={title()} seed={peer().id} size={28} status={presence[peer().id] ?? "offline"} />}
        </Show>
        <span class="room-name">
          <span>{title()}</span>
          <Show when={isDm() && status() !== "online"}>
            <small class="muted">{status()}</small>
          </Show>
        </span>
        <span class="room-meta">
          <Show when={p.room.notificationsMuted}>
            <span class="muted-icon" aria-hidden="true"><IconBellOff size={14} /></span>
          </Show>
          <Show when={mentions() > 0 && !isDm()}>
            <span class="badge mention" aria-hidden="true">@{mentions() > 99 ? "99+" : mentions()}</span>
          </Show>
          <Show when={unread() > 0} fallback={<Show when={!mentions()}><time class="when">{formatWhen(p.room.lastActivity)}</time></Show>}>
            <span class="badge" classList={{ dm: isDm() }} aria-hidden="true">{unread() > 99 ? "99+" : unread()}</span>
          </Show>
        </span>
      </a>
      <button
        type="button"
        class="row-bell"
        aria-label={`${p.room.notificationsMuted ? "Unmute" : "Mute"} ${isDm() ? title() : "#" + title()}`}
        title={p.room.notificationsMuted ? "Unmute notifications" : "Mute notifications"}
        aria-pressed={!!p.room.notificationsMuted}
        onClick={() => toggleRoomMute(p.room.id).catch(toastError("change notifications"))}
      >
        <Show when={p.room.notificationsMuted} fallback={<IconBellSm />}>
          <IconBellOff size={16} />
        </Show>
      </button>
    </li>
  );
}

export function Sidebar() {
  const [dialog, setDialog] = createSignal<"create" | "browse" | "dm" | "search" | null>(null);
  const channels = createMemo(() => sortedRooms().filter((r) => r.kind !== "dm"));
  const dms = createMemo(() => sortedRooms().filter((r) => r.kind === "dm"));
  const onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
      e.preventDefault();
      setDialog("search");
    }
  };
  document.addEventListener("keydown", onKey);
  onCleanup(() => document.removeEventListener("keydown", onKey));

  return (
    <nav class="sidebar" aria-label="Conversations">
      <header class="side-head">
        <div class="brand small">
          <img src="/favicon.svg" alt="" width="26" height="26" />
          <span>Parley</span>
        </div>
        <div class="side-actions">
          <button type="button" class="icon-btn" aria-label="Browse public rooms" title="Browse public rooms" onClick={() => setDialog("browse")}>
            <IconCompass />
          </button>
          <button type="button" class="icon-btn" aria-label="New direct message" title="New direct message" onClick={() => setDialog("dm")}>
            <IconMessage />
          </button>
        </div>
      </header>
      <div class="side-search">
        <button type="button" class="search-btn" aria-label="Search messages" aria-keyshortcuts="Control+K" onClick={() => setDialog("search")}>
          <IconSearch />
          <span>Search messages</span>
          <kbd>Ctrl K</kbd>
        </button>
      </div>
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
      <SideFoot />
      <Show when={dialog() === "create"}>
        <CreateRoomDialog onClose={() => setDialog(null)} />
      </Show>
      <Show when={dialog() === "browse"}>
        <BrowseRoomsDialog onClose={() => setDialog(null)} onCreate={() => setDialog("create")} />
      </Show>
      <Show when={dialog() === "dm"}>
        <NewDmDialog onClose={() => setDialog(null)} />
      </Show>
      <Show when={dialog() === "search"}>
        <SearchDialog onClose={() => setDialog(null)} />
      </Show>
    </nav>
  );
}
