// Conversation pane: header (title, topic or presence, actions), message list, typing line, composer; files can be dropped anywhere on it
// (onto the open thread panel: into the thread's composer).
import { createEffect, createSignal, on, Show } from "solid-js";
import { formatTime, presenceText } from "../../lib/format";
import { socketStatus } from "../../lib/socket";
import { typers } from "../../state/activity";
import { loadMembers, members } from "../../state/members";
import { navigate } from "../../state/route";
import { roomTitle, rooms } from "../../state/rooms";
import { me } from "../../state/session";
import { loadLatest, type MsgItem } from "../../state/timeline";
import { displayName, lastSeen, presence } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { IconBack, IconClip, IconHash, IconLock } from "../../ui/icons";
import { Composer } from "./Composer";
import { attachFiles } from "./ComposerFiles";
import { slowLabel } from "./Message";
import { MessageList } from "./MessageList";
import { RoomActions } from "./RoomActions";
import { ForwardDialog } from "./ForwardDialog";
import { ThreadPanel } from "./ThreadPanel";
import "./depth.css";

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
  const [highlight, setHighlight] = createSignal<number | undefined>();
  const [dragging, setDragging] = createSignal(false);
  const [thread, setThread] = createSignal<number | undefined>();
  const [forwarding, setForwarding] = createSignal<MsgItem | undefined>();

  createEffect(
    on(
      () => p.roomId,
      (id) => {
        const r = rooms[id];
        setUnreadFrom(r && (r.unread ?? 0) > 0 ? (r.lastReadSeq ?? 0) : 0);
        setThread(undefined);
        void loadLatest(id, r?.lastSeq ?? 0);
        void loadMembers(id, true);
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
    onThread: (seq: number) => setThread(seq),
    onForward: (item: MsgItem) => setForwarding(item),
    editingSeq: () => editing()?.seq,
    highlightSeq: highlight,
    setHighlight,
  };

  // Why the composer can't send right now: muted by an admin, or slow mode (admins are exempt).
  const blocked = () => {
    const until = members[p.roomId]?.[myId()]?.silencedUntil;
    if (until && until > Date.now()) return `You're muted in this room until ${formatTime(until)}.`;
    const slow = room()?.slowModeSec ?? 0;
    const exempt = room()?.role === "owner" || room()?.role === "admin";
    return slow && !exempt ? `Slow mode is on: one message every ${slowLabel(slow)}.` : "";
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
    blocked,
    replyTo,
    setReplyTo,
    editing,
    setEditing,
  };

  const typingLine = () => typingText(typers(p.roomId, myId()).map(displayName));
  const peerStatus = () => {
    const peer = room()?.peer;
    return peer ? presenceText(presence[peer.id] ?? "offline", lastSeen[peer.id]) : "";
  };
  const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  let depth = 0;

  return (
    <section
      class="conversation"
      classList={{ "with-thread": thread() !== undefined }}
      aria-label={`Conversation: ${title()}`}
      onDragEnter={(e) => hasFiles(e) && (e.preventDefault(), depth++, setDragging(true))}
      onDragOver={(e) => hasFiles(e) && e.preventDefault()}
      onDragLeave={() => --depth <= 0 && ((depth = 0), setDragging(false))}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth = 0;
        setDragging(false);
        const intoThread = (e.target as Element | null)?.closest?.(".thread-panel") ? thread() : undefined;
        if (room()) attachFiles({ room: p.roomId, thread: intoThread }, [...(e.dataTransfer?.files ?? [])]);
      }}
    >
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
              @{room()?.peer?.username ?? ""} · <span class="peer-status">{peerStatus()}</span>
            </Show>
          </p>
        </div>
        <Show when={room()}>
          <RoomActions room={room()!} />
        </Show>
      </header>
      <Show
        when={room()}
        fallback={
          <div class="empty-state">
            <p>{socketStatus() === "open" ? "This conversation isn't available. It may have been removed, or you're no longer a member." : "Not connected: this conversation shows once Parley reaches the server."}</p>
          </div>
        }
      >
        <MessageList ctx={ctx} unreadFrom={unreadFrom()} />
        <div class="typing" aria-live="polite">
          <Show when={typingLine()}>
            <span class="dots" aria-hidden="true"><i /><i /><i /></span>
            {typingLine()}
          </Show>
        </div>
        <Composer api={composerApi} />
        <Show when={thread()} keyed>
          {(root) => <ThreadPanel root={root} ctx={ctx} onClose={() => setThread(undefined)} />}
        </Show>
      </Show>
      <Show when={forwarding()} keyed>
        {(item) => <ForwardDialog room={p.roomId} item={item} onClose={() => setForwarding(undefined)} />}
      </Show>
      <Show when={dragging()}>
        <div class="drop-zone" aria-hidden="true">
          <IconClip />
          <span>Drop files to attach them</span>
        </div>
      </Show>
    </section>
  );
}
