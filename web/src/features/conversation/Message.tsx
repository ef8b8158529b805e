// One message row: avatar + header for a group's first message, markdown body, reply quote, reactions, actions.
import { createSignal, For, Show } from "solid-js";
import { renderMarkdown, plainPreview } from "../../lib/markdown";
import { formatFull, formatTime } from "../../lib/format";
import type { Pending } from "../../state/outbox";
import { discard } from "../../state/outbox";
import { deleteMessage, react, retry } from "../../state/messages";
import { toastError } from "../../ui/Toast";
import { findMsg, type MsgItem, type SysItem } from "../../state/timeline";
import { displayName, presence } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { IconEdit, IconReply, IconSmile, IconTrash } from "../../ui/icons";
import { captionFor } from "../../state/uploads";
import { AttachmentList } from "./Attachments";

export const QUICK_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

export interface MsgCtx {
  room: string;
  me: string;
  onReply(seq: number): void;
  onEdit(item: MsgItem): void;
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

export function MessageRow(p: { item: MsgItem; first: boolean; ctx: MsgCtx }) {
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
        <Show when={!p.item.deleted} fallback={<div class="body muted deleted-note">This message was deleted.</div>}>
          <Show when={!isCaption(p.item.body, p.item.attachments)}>
            <Body body={p.item.body} edited={p.item.editedAt} />
          </Show>
          <Show when={p.item.attachments?.length}>
            <AttachmentList items={p.item.attachments!} />
          </Show>
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
      </div>
      <Show when={!p.item.deleted}>
        <div class="msg-actions" role="toolbar" aria-label="Message actions">
          <button type="button" class="icon-btn sm" aria-label="Add reaction" aria-expanded={picker()} onClick={() => setPicker(!picker())}>
            <IconSmile />
          </button>
          <button type="button" class="icon-btn sm" aria-label="Reply" onClick={() => p.ctx.onReply(p.item.seq)}>
            <IconReply />
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
