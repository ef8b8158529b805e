// Message composer: Enter sends, Shift+Enter newline, Up edits the last own message, Esc cancels; files and voice (ComposerFiles.tsx); throttled typing frames.
import { createEffect, createSignal, on, onCleanup, Show, untrack } from "solid-js";
import { LIMITS } from "../../../../server/protocol/types";
import { plainPreview } from "../../lib/markdown";
import { cancelTyping, sendTyping } from "../../state/activity";
import { editMessage, sendMessage } from "../../state/messages";
import { toastError } from "../../ui/Toast";
import { AttachButtons, bodyWith, canSendWith, pasteFiles, takeFiles, UploadTray } from "./ComposerFiles";
import { findMsg, timelines, type MsgItem } from "../../state/timeline";
import { displayName } from "../../state/users";
import { IconEdit, IconReply, IconSend, IconX } from "../../ui/icons";
import { takePrefill } from "../pwa/share";

const drafts = new Map<string, string>();

export interface ComposerApi {
  room: string;
  me: string;
  title: string;
  /** Why sending is blocked right now (muted), or "". */
  blocked(): string;
  replyTo(): number | undefined;
  setReplyTo(seq: number | undefined): void;
  editing(): MsgItem | undefined;
  setEditing(item: MsgItem | undefined): void;
}

export function Composer(p: { api: ComposerApi }) {
  let ta!: HTMLTextAreaElement;
  const tray = () => ({ room: p.api.room });
  const [text, setText] = createSignal(drafts.get(p.api.room) ?? "");
  const over = () => text().length > LIMITS.BODY_MAX_CHARS;

  const grow = () => {
    ta.style.height = "auto";
    ta.style.height = `${Math.min(ta.scrollHeight, 220)}px`;
  };
  const set = (v: string) => {
    setText(v);
    ta.value = v;
    grow();
  };

  createEffect(
    on(
      () => p.api.room,
      (room, prev) => {
        if (prev !== undefined) drafts.set(prev, text());
        set(drafts.get(room) ?? "");
        p.api.setEditing(undefined);
        p.api.setReplyTo(undefined);
        queueMicrotask(() => ta.focus({ preventScroll: true }));
      },
    ),
  );
  // Something shared into Parley for this room (features/pwa/share.ts): after any draft.
  createEffect(() => {
    const shared = takePrefill(p.api.room);
    if (shared === undefined) return;
    const draft = untrack(text);
    set(draft.trim() ? `${draft}\n${shared}` : shared);
    ta.focus();
  });
  onCleanup(() => {
    if (!p.api.editing()) drafts.set(p.api.room, text());
  });
  createEffect(
    on(p.api.editing, (item) => {
      if (item) {
        drafts.set(`${p.api.room}:saved`, text());
        set(item.body);
        ta.focus();
        ta.setSelectionRange(ta.value.length, ta.value.length);
      }
    }, { defer: true }),
  );
  createEffect(on(p.api.replyTo, (r) => r && ta.focus(), { defer: true }));

  const lastOwn = (): MsgItem | undefined => {
    const items = timelines[p.api.room]?.items ?? [];
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i];
      if (it.t === "msg" && it.sender === p.api.me && !it.deleted) return it;
    }
    return undefined;
  };

  const cancel = () => {
    if (p.api.editing()) set(drafts.get(`${p.api.room}:saved`) ?? "");
    p.api.setEditing(undefined);
    p.api.setReplyTo(undefined);
  };

  const submit = () => {
    const body = text().trim();
    if (over()) return;
    const editing = p.api.editing();
    if (editing) {
      if (body && body !== editing.body) editMessage(p.api.room, editing.seq, body).catch(toastError("edit the message"));
      p.api.setEditing(undefined);
      set(drafts.get(`${p.api.room}:saved`) ?? "");
      return;
    }
    const files = takeFiles(tray());
    if (!files || (!body && !files.length)) return;
    sendMessage(p.api.room, bodyWith(body, files), p.api.replyTo(), files);
    p.api.setReplyTo(undefined);
    cancelTyping(p.api.room);
    set("");
    drafts.delete(p.api.room);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.isComposing) return;
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      submit();
    } else if (e.key === "ArrowUp" && !text() && !p.api.editing()) {
      const last = lastOwn();
      if (last) {
        e.preventDefault();
        p.api.setEditing(last);
      }
    } else if (e.key === "Escape" && (p.api.editing() || p.api.replyTo())) {
      e.preventDefault();
      cancel();
    }
  };

  const onPaste = pasteFiles(tray, () => !!p.api.editing());
  const canSend = () => !over() && canSendWith(tray(), !!text().trim(), !p.api.editing());

  const replyTarget = () => {
    const r = p.api.replyTo();
    return r ? findMsg(p.api.room, r) : undefined;
  };

  return (
    <form class="composer" onSubmit={(e) => (e.preventDefault(), submit())}>
      <Show when={p.api.editing() || p.api.replyTo()}>
        <div class="compose-ctx">
          <Show when={p.api.editing()} fallback={<IconReply />}>
            <IconEdit />
          </Show>
          <span>
            <Show when={p.api.editing()} fallback={<>Replying to <strong>{replyTarget() ? displayName(replyTarget()!.sender) : "message"}</strong> <span class="muted">{replyTarget() ? plainPreview(replyTarget()!.body, 60) : ""}</span></>}>
              Editing message <span class="muted">· Esc to cancel</span>
            </Show>
          </span>
          <button type="button" class="icon-btn sm" aria-label="Cancel" onClick={cancel}>
            <IconX />
          </button>
        </div>
      </Show>
      <UploadTray tray={tray()} />
      <div class="compose-box" classList={{ over: over() }}>
        <AttachButtons tray={tray()} disabled={!!p.api.editing()} />
        <textarea
          ref={ta}
          rows={1}
          aria-label={p.api.editing() ? "Edit message" : `Message ${p.api.title}`}
          placeholder={`Message ${p.api.title}`}
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            grow();
            if (e.currentTarget.value.trim() && !p.api.editing()) sendTyping(p.api.room, () => !!ta.value.trim() && !p.api.editing());
          }}
          onKeyDown={onKey}
          onPaste={onPaste}
        />
        <button type="submit" class="send" aria-label={p.api.editing() ? "Save edit" : "Send message"} disabled={!canSend()}>
          <IconSend />
        </button>
      </div>
      <div class="compose-hint" aria-live="polite">
        <Show when={over()} fallback={<Show when={p.api.blocked()} fallback={<span class="muted hint-keys"><kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line · <kbd>↑</kbd> to edit</span>}><span class="muted">{p.api.blocked()}</span></Show>}>
          <span class="fail">{text().length - LIMITS.BODY_MAX_CHARS} characters over the limit</span>
        </Show>
      </div>
    </form>
  );
}
