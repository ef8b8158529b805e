// Conversation pane: header (title, topic, presence), message list, typing line and composer.
import { createEffect, createSignal, on, Show } from "solid-js";
import { api } from "../../lib/api";
import { typers } from "../../state/activity";
import { navigate } from "../../state/route";
import { roomTitle, rooms } from "../../state/rooms";
import { me } from "../../state/session";
import { loadLatest, type MsgItem } from "../../state/timeline";
import { displayName, presence, rememberMembers } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { IconBack, IconHash, IconLock, IconUsers } from "../../ui/icons";
import { Composer } from "./Composer";
import { MessageList } from "./MessageList";
import { RoomActions } from "./RoomActions";

const membersTried = new Set<string>();
let membersUnsupported = false;

function typingText(names: string[]): string {
  if (!names.length) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

export function Conversation(p: { roomId: string }) {
  const room = () => rooms[p.roomId];
  const myId = () => me()?.id ?? "";
  const [replyTo, setReplyTo] = createSignal<number | undefined>();
  const [editing, setEditing] = createSignal<MsgItem | undefined>();
  const [unreadFrom, setUnreadFrom] = createSignal(0);

  createEffect(
    on(
      () => p.roomId,
      (id) => {
        const r = rooms[id];
        setUnreadFrom(r && (r.unread ?? 0) > 0 ? (r.lastReadSeq ?? 0) : 0);
        void loadLatest(id, r?.lastSeq ?? 0);
        if (!membersUnsupported && !membersTried.has(id)) {
          membersTried.add(id);
          api
            .members(id)
            .then(rememberMembers)
            .catch((e) => {
              if (e?.status === 404 && rooms[id]) membersUnsupported = true;
            });
        }
      },
    ),
  );

  const title = () => roomTitle(room());
  const ctx = {
    get room() {
      return p.roomId;
    },
    get me() {
      return myId();
    },
    onReply: (seq: number) => {
      setEditing(undefined);
      setReplyTo(seq);
    },
    onEdit: (item: MsgItem) => {
      setReplyTo(undefined);
      setEditing(item);
    },
    editingSeq: () => editing()?.seq,
  };
  const composerApi = {
    get room() {
      return p.roomId;
    },
    get me() {
      return myId();
    },
    get title() {
      return room()?.kind === "dm" ? title() : `#${title()}`;
    },
    replyTo,
    setReplyTo,
    editing,
    setEditing,
  };

  const typingLine = () => typingText(typers(p.roomId, myId()).map(displayName));

  return (
    <section class="conversation" aria-label={`Conversation: ${title()}`}>
      <header class="conv-head">
        <button type="button" class="icon-btn back" aria-label="Back to conversations" onClick={() => navigate(null)}>
          <IconBack />
        </button>
        <Show when={room()?.kind === "dm" && room()?.peer} fallback={<span class="room-icon lg">{room()?.kind === "private" ? <IconLock /> : <IconHash />}</span>}>
          {(peer) => <Avatar name={title()} seed={peer().id} size={34} status={presence[peer().id] ?? "offline"} />}
        </Show>
        <div class="conv-title">
          <h1>{title()}</h1>
          <p class="muted topic">
            <Show when={room()?.kind === "dm"} fallback={room()?.topic || (room()?.kind === "private" ? "Private room" : "Public room")}>
              {(() => {
                const st = room()?.peer ? (presence[room()!.peer!.id] ?? "offline") : "offline";
                return `@${room()?.peer?.username ?? ""} · ${st}`;
              })()}
            </Show>
          </p>
        </div>
        <Show when={room()?.memberCount}>
          <span class="muted members" title="Members">
            <IconUsers /> {room()?.memberCount}
          </span>
        </Show>
        <Show when={room() && room()!.kind !== "dm"}>
          <RoomActions room={room()!} />
        </Show>
      </header>
      <Show when={room()} fallback={<div class="empty-state"><p>This conversation isn't available. It may have been removed, or you're no longer a member.</p></div>}>
        <MessageList ctx={ctx} unreadFrom={unreadFrom()} />
        <div class="typing" aria-live="polite">
          <Show when={typingLine()}>
            <span class="dots" aria-hidden="true"><i /><i /><i /></span>
            {typingLine()}
          </Show>
        </div>
        <Composer api={composerApi} />
      </Show>
    </section>
  );
}
