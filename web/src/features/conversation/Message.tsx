// One message row: avatar + header for a group's first message, markdown body, reply quote, forward origin, link preview,
// thread summary, delivery ticks on our own messages, reactions, actions; a blocked person's message collapses.
import { createResource, createSignal, For, Show } from "solid-js";
import type { ThreadSummary } from "../../../../server/protocol/types";
import { renderMarkdown, plainPreview } from "../../lib/markdown";
import { formatFull, formatTime, formatWhen } from "../../lib/format";
import { uploadUrl } from "../../lib/upload";
import { deliveries } from "../../state/activity";
import { isBlocked } from "../../state/blocks";
import type { Preview } from "../../state/fold";
import { members } from "../../state/members";
import { rooms } from "../../state/rooms";
import { tickFor, tickLabel } from "../../state/ticks";
import type { Pending } from "../../state/outbox";
import { discard } from "../../state/outbox";
import { deleteMessage, react, retry } from "../../state/messages";
import { toastError } from "../../ui/Toast";
import { findMsg, type MsgItem, type SysItem } from "../../state/timeline";
import { displayName, presence } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { IconEdit, IconForward, IconReply, IconSmile, IconThread, IconTrash } from "../../ui/icons";
import { captionFor } from "../../state/uploads";
import { AttachmentList } from "./Attachments";

export const QUICK_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

export interface MsgCtx {
  room: string;
  me: string;
  onReply(seq: number): void;
  onEdit(item: MsgItem): void;
  /** Open the thread of a top-level message (absent inside the thread panel). */
  onThread?(seq: number): void;
  onForward(item: MsgItem): void;
  editingSeq(): number | undefined;
  highlightSeq(): number | undefined;
}

/** A files-only message carries the file names as its body; don't repeat them. */
const isCaption = (body: string, atts?: { filename: string }[]) => !!atts?.length && body === captionFor(atts as never);

function Body(p: { body: string; edited?: number }) {
  return (
    <div
      class="body md"
      classList={{ "is-edited": !!p.edited }}
      title={p.edited ? `Edited ${formatFull(p.edited)}` : undefined}
      innerHTML={renderMarkdown(p.body)}
    />
  );
}

function ReplyQuote(p: { room: string; seq: number; preview?: MsgItem["replyPreview"] }) {
  const target = () => {
    const t = findMsg(p.room, p.seq);
    if (t) return { sender: t.sender, body: t.body, deleted: !!t.deleted };
    return p.preview;
  };
  return (
    <div class="reply-quote">
      <IconReply />
      <Show when={target()} fallback={<span class="muted">Reply to an earlier message</span>}>
        {(t) => (
          <>
            <strong>{displayName(t().sender)}</strong>
            <span class="muted">{t().deleted ? "deleted message" : plainPreview(t().body, 90)}</span>
          </>
        )}
      </Show>
    </div>
  );
}

function ThreadBar(p: { t: ThreadSummary; onOpen(): void }) {
  const n = () => p.t.replies;
  return (
    <button type="button" class="thread-bar" aria-label={`${n()} ${n() === 1 ? "reply" : "replies"}, open the thread`} onClick={() => p.onOpen()}>
      <span class="thread-faces" aria-hidden="true">
        <For each={p.t.participants.slice(0, 4)}>{(u) => <Avatar name={displayName(u)} seed={u} size={20} />}</For>
      </span>
      <strong>{n()} {n() === 1 ? "reply" : "replies"}</strong>
      <span class="muted">Last reply {formatWhen(p.t.lastReplyAt)}</span>
    </button>
  );
}

/** The upload id of a preview's stored image (an attachment, an id, or an /api/uploads/ path). */
const imageId = (img: Preview["image"]) => (typeof img === "string" ? img.replace(/^.*\/api\/uploads\//, "") : img?.id);

export function PreviewCard(p: { pv: Preview }) {
  const [img] = createResource(() => imageId(p.pv.image), (id) => uploadUrl(id));
  const safe = () => /^https?:\/\//i.test(p.pv.url);
  const site = () => {
    if (p.pv.siteName) return p.pv.siteName;
    try {
      return new URL(p.pv.url).hostname;
    } catch {
      return "";
    }
  };
  return (
    <a class="preview-card" href={safe() ? p.pv.url : undefined} target="_blank" rel="noopener noreferrer" aria-label={`Link preview: ${p.pv.title || site()}`}>
      <div class="pv-text">
        <span class="pv-site muted">{site()}</span>
        <Show when={p.pv.title}><strong class="pv-title">{p.pv.title}</strong></Show>
        <Show when={p.pv.description}><span class="pv-desc">{p.pv.description}</span></Show>
      </div>
      <Show when={img()}>
        <img class="pv-img" src={img()} alt="" loading="lazy" />
      </Show>
    </a>
  );
}

function Ticks(p: { room: string; seq: number; me: string }) {
  const t = () => tickFor(p.seq, p.me, Object.keys(members[p.room] ?? {}), deliveries[p.room]);
  return (
    <span class="ticks" classList={{ two: t().state === "delivered" }} role="img" aria-label={tickLabel(t())} title={tickLabel(t())}>
      {t().state === "sent" ? "✓" : t().state === "delivered" ? "✓✓" : `✓ ${(t() as { n: number }).n}`}
    </span>
  );
}

export function MessageRow(p: { item: MsgItem; first: boolean; ctx: MsgCtx }) {
  const [reveal, setReveal] = createSignal(false);
  return (
    <Show
      when={!isBlocked(p.item.sender) || p.item.sender === p.ctx.me || reveal()}
      fallback={
        <article class="msg collapsed" classList={{ first: p.first }} data-seq={p.item.seq} aria-label="Message from a blocked person" tabindex="-1">
          <div class="gutter" />
          <div class="content">
            <span class="muted">Message from someone you blocked · </span>
            <button type="button" class="link" onClick={() => setReveal(true)}>Show</button>
          </div>
        </article>
      }
    >
      <FullRow item={p.item} first={p.first} ctx={p.ctx} />
    </Show>
  );
}

function FullRow(p: { item: MsgItem; first: boolean; ctx: MsgCtx }) {
  const [picker, setPicker] = createSignal(false);
  const mine = () => p.item.sender === p.ctx.me;
  const name = () => displayName(p.item.sender);
  const toggle = (emoji: string) => {
    setPicker(false);
    const on = !(p.item.reactions[emoji] ?? []).includes(p.ctx.me);
    react(p.ctx.room, p.item.seq, emoji, on).catch(toastError("react"));
  };
  const remove = () => {
    if (window.confirm("Delete this message? This can't be undone.")) deleteMessage(p.ctx.room, p.item.seq).catch(toastError("delete the message"));
  };
  return (
    <article
      class="msg"
      classList={{ first: p.first, mine: mine(), editing: p.ctx.editingSeq() === p.item.seq, deleted: !!p.item.deleted, flash: p.ctx.highlightSeq() === p.item.seq }}
      data-seq={p.item.seq}
      aria-label={`${name()} at ${formatTime(p.item.ts)}`}
      tabindex="-1"
      onMouseLeave={() => setPicker(false)}
    >
      <div class="gutter">
        <Show when={p.first} fallback={<time class="hover-time" datetime={new Date(p.item.ts).toISOString()} title={formatFull(p.item.ts)}>{formatTime(p.item.ts)}</time>}>
          <Avatar name={name()} seed={p.item.sender} size={36} status={presence[p.item.sender]} />
        </Show>
      </div>
      <div class="content">
        <Show when={p.first}>
          <header class="msg-head">
            <span class="sender">{name()}</span>
            <time datetime={new Date(p.item.ts).toISOString()} title={formatFull(p.item.ts)}>{formatTime(p.item.ts)}</time>
          </header>
        </Show>
        <Show when={p.item.replyTo && !p.item.deleted}>
          <ReplyQuote room={p.ctx.room} seq={p.item.replyTo!} preview={p.item.replyPreview} />
        </Show>
        <Show when={p.item.threadRoot !== undefined && p.item.alsoInRoom && p.ctx.onThread}>
          <button type="button" class="link thread-label" onClick={() => p.ctx.onThread!(p.item.threadRoot!)}>
            <IconThread /> Replied in a thread
          </button>
        </Show>
        <Show when={!p.item.deleted && p.item.forwarded}>
          {(f) => (
            <div class="fwd-note muted">
              <IconForward /> Forwarded from {rooms[f().room]?.kind === "dm" ? "a direct message" : `#${f().roomName}`} · {displayName(f().sender)}, {formatWhen(f().ts)}
            </div>
          )}
        </Show>
        <Show when={!p.item.deleted} fallback={<div class="body muted deleted-note">{p.item.expired ? "This message expired." : "This message was deleted."}</div>}>
          <Show when={!isCaption(p.item.body, p.item.attachments)}>
            <Body body={p.item.body} edited={p.item.editedAt} />
          </Show>
          <Show when={p.item.attachments?.length}>
            <AttachmentList items={p.item.attachments!} />
          </Show>
          <Show when={p.item.preview}>{(pv) => <PreviewCard pv={pv()} />}</Show>
        </Show>
        <Show when={mine() && !p.item.deleted}>
          <Ticks room={p.ctx.room} seq={p.item.seq} me={p.ctx.me} />
        </Show>
        <Show when={Object.keys(p.item.reactions).length && !p.item.deleted}>
          <div class="reactions">
            <For each={Object.entries(p.item.reactions)}>
              {([emoji, who]) => (
                <button
                  type="button"
                  class="chip"
                  classList={{ on: who.includes(p.ctx.me) }}
                  aria-pressed={who.includes(p.ctx.me)}
                  aria-label={`${emoji} ${who.length}, by ${who.map(displayName).join(", ")}`}
                  title={who.map(displayName).join(", ")}
                  onClick={() => toggle(emoji)}
                >
                  <span>{emoji}</span> <span>{who.length}</span>
                </button>
              )}
            </For>
          </div>
        </Show>
        <Show when={p.item.thread && p.item.thread.replies > 0 && p.ctx.onThread}>
          <ThreadBar t={p.item.thread!} onOpen={() => p.ctx.onThread!(p.item.seq)} />
        </Show>
      </div>
      <Show when={!p.item.deleted}>
        <div class="msg-actions" role="toolbar" aria-label="Message actions">
          <button type="button" class="icon-btn sm" aria-label="Add reaction" aria-expanded={picker()} onClick={() => setPicker(!picker())}>
            <IconSmile />
          </button>
          <button type="button" class="icon-btn sm" aria-label="Reply" onClick={() => p.ctx.onReply(p.item.seq)}>
            <IconReply />
          </button>
          <Show when={p.ctx.onThread && p.item.threadRoot === undefined}>
            <button type="button" class="icon-btn sm" aria-label="Open thread" title="Reply in thread" onClick={() => p.ctx.onThread!(p.item.seq)}>
              <IconThread />
            </button>
          </Show>
          <button type="button" class="icon-btn sm" aria-label="Forward" onClick={() => p.ctx.onForward(p.item)}>
            <IconForward />
          </button>
          <Show when={mine()}>
            <button type="button" class="icon-btn sm" aria-label="Edit message" onClick={() => p.ctx.onEdit(p.item)}>
              <IconEdit />
            </button>
            <button type="button" class="icon-btn sm danger" aria-label="Delete message" onClick={remove}>
              <IconTrash />
            </button>
          </Show>
          <Show when={picker()}>
            <div class="emoji-pop" role="menu" aria-label="Pick a reaction">
              <For each={QUICK_EMOJI}>
                {(e) => (
                  <button type="button" role="menuitem" class="emoji" aria-label={`React ${e}`} onClick={() => toggle(e)}>
                    {e}
                  </button>
                )}
              </For>
            </div>
          </Show>
        </div>
      </Show>
    </article>
  );
}

export function PendingRow(p: { item: Pending; first: boolean; me: string }) {
  return (
    <article class="msg mine pending" classList={{ first: p.first, failed: p.item.state === "failed" }} data-pending={p.item.clientMsgId} aria-label="Your message, not yet delivered">
      <div class="gutter">
        <Show when={p.first}>
          <Avatar name={displayName(p.me)} seed={p.me} size={36} />
        </Show>
      </div>
      <div class="content">
        <Show when={p.first}>
          <header class="msg-head">
            <span class="sender">{displayName(p.me)}</span>
            <time>{formatTime(p.item.ts)}</time>
          </header>
        </Show>
        <Show when={!isCaption(p.item.body, p.item.attachments)}>
          <Body body={p.item.body} />
        </Show>
        <Show when={p.item.attachments?.length}>
          <AttachmentList items={p.item.attachments!} />
        </Show>
        <div class="pending-state" role="status">
          <Show when={p.item.state === "failed"} fallback={<span class="muted">Sending…</span>}>
            <span class="fail">Failed{p.item.error ? ` (${p.item.error})` : ""} — </span>
            <button type="button" class="link" onClick={() => retry(p.item.clientMsgId)}>Retry</button>
            <span class="muted"> · </span>
            <button type="button" class="link muted" onClick={() => discard(p.item.clientMsgId)}>Discard</button>
          </Show>
        </div>
      </div>
    </article>
  );
}

export function slowLabel(sec: number): string {
  return sec >= 3600 ? `${sec / 3600} h` : sec >= 60 ? `${Math.round(sec / 60)} min` : `${sec} s`;
}

export function SystemLine(p: { item: SysItem }) {
  const text = () => {
    const ev = p.item.ev;
    if (ev.kind === "room") {
      const parts: string[] = [];
      if (ev.name !== undefined) parts.push(`renamed the room to “${ev.name}”`);
      if (ev.topic !== undefined) parts.push(ev.topic ? `set the topic: ${ev.topic}` : "cleared the topic");
      if (ev.slowModeSec !== undefined) parts.push(ev.slowModeSec ? `turned on slow mode (${slowLabel(ev.slowModeSec)})` : "turned off slow mode");
      const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}` : (parts[0] ?? "updated the room");
      return `${displayName(ev.sender)} ${list}`;
    }
    const who = ev.user ? ev.user.displayName || ev.user.username : displayName(ev.userId);
    const by = ev.sender && ev.sender !== ev.userId ? displayName(ev.sender) : "";
    switch (ev.change) {
      case "join":
        return `${who} joined`;
      case "leave":
        return `${who} left`;
      case "kick":
        return by ? `${by} removed ${who}` : `${who} was removed`;
      case "ban":
        return by ? `${by} banned ${who}` : `${who} was banned`;
      case "invite":
        return by ? `${by} added ${who}` : `${who} was added`;
      case "unban":
        return by ? `${by} lifted the ban on ${who}` : `${who} was unbanned`;
      case "mute":
        return ev.until ? `${by || "An admin"} muted ${who} until ${formatTime(ev.until)}` : `${by || "An admin"} unmuted ${who}`;
      default:
        return `${who} changed membership`;
    }
  };
  return (
    <div class="sys" data-seq={p.item.seq} role="note">
      <span>{text()}</span>
      <time title={formatFull(p.item.ts)}>{formatTime(p.item.ts)}</time>
    </div>
  );
}
