// Thread panel (protocol 1.2): the root and its replies (history with `thread`, paged, live through applyEvent), its own
// composer (files and voice like the room's, in the thread's own tray) with "Also send to the room". A side panel on desktop,
// the whole screen on a phone.
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import { LIMITS } from "../../../../server/protocol/types";
import { cancelTyping } from "../../state/activity";
import { sendMessage } from "../../state/messages";
import { outbox } from "../../state/outbox";
import { closeThread, loadThread, threadKey, threads } from "../../state/timeline";
import { IconSend, IconX } from "../../ui/icons";
import { AttachButtons, bodyWith, canSendWith, pasteFiles, takeFiles, UploadTray } from "./ComposerFiles";
import { MessageRow, PendingRow, type MsgCtx } from "./Message";

const GROUP_MS = 5 * 60_000;

export function ThreadPanel(p: { root: number; ctx: MsgCtx; onClose(): void }) {
  // The panel is made for one root (keyed by its parent); a room change closes it.
  const room = p.ctx.room;
  const root = p.root;
  let scroller!: HTMLDivElement;
  let ta!: HTMLTextAreaElement;
  const [text, setText] = createSignal("");
  const [also, setAlso] = createSignal(false);
  const tray = { room, thread: root };
  const view = () => threads[threadKey(room, root)];
  const items = () => view()?.items ?? [];
  const pending = createMemo(() => outbox.list.filter((x) => x.room === room && x.thread === root));
  // Inside the panel there is no thread to open.
  const ctx: MsgCtx = {
    get room() {
      return p.ctx.room;
    },
    get me() {
      return p.ctx.me;
    },
    onReply: (seq) => p.ctx.onReply(seq),
    onEdit: (item) => p.ctx.onEdit(item),
    onForward: (item) => p.ctx.onForward(item),
    editingSeq: () => p.ctx.editingSeq(),
    highlightSeq: () => undefined,
  };

  void loadThread(room, root);
  queueMicrotask(() => ta?.focus({ preventScroll: true }));
  onCleanup(() => closeThread(room, root));

  // Follow new replies when at the bottom.
  let stick = true;
  createEffect(
    on([() => items().length, () => pending().length], () => {
      if (stick) queueMicrotask(() => (scroller.scrollTop = scroller.scrollHeight));
    }),
  );

  const older = async () => {
    const h = scroller.scrollHeight;
    await loadThread(room, root, true);
    scroller.scrollTop += scroller.scrollHeight - h;
  };

  const submit = () => {
    const body = text().trim();
    if (body.length > LIMITS.BODY_MAX_CHARS) return;
    const files = takeFiles(tray);
    if (!files || (!body && !files.length)) return;
    sendMessage(room, bodyWith(body, files), undefined, files, { root, alsoInRoom: also() });
    cancelTyping(room);
    setText("");
    ta.value = "";
    stick = true;
  };

  return (
    <aside class="thread-panel" aria-label="Thread">
      <header class="thread-head">
        <h2>Thread</h2>
        <button type="button" class="icon-btn" aria-label="Close thread" onClick={() => p.onClose()}>
          <IconX />
        </button>
      </header>
      <div ref={scroller} class="thread-list" role="log" aria-label="Thread messages" onScroll={() => (stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48)}>
        <Show when={view()?.hasMoreBefore}>
          <button type="button" class="btn sm load-earlier" disabled={view()?.loading} onClick={() => void older()}>
            Load earlier replies
          </button>
        </Show>
        <Show when={view()?.loading && !items().length}>
          <div class="loading" role="status"><span class="spinner" aria-hidden="true" /> Loading thread…</div>
        </Show>
        <Show when={view()?.error}>
          <div class="form-error pad" role="alert">{view()?.error}</div>
        </Show>
        <For each={items()}>
          {(item, i) => {
            const prev = () => items()[i() - 1];
            const first = () => i() <= 1 || !prev() || prev()!.sender !== item.sender || item.ts - prev()!.ts > GROUP_MS;
            return (
              <>
                <MessageRow item={item} first={first()} ctx={ctx} />
                <Show when={i() === 0 && item.seq === root}>
                  <div class="thread-divider" role="separator">
                    <span>{items().length - 1} {items().length - 1 === 1 ? "reply" : "replies"}</span>
                  </div>
                </Show>
              </>
            );
          }}
        </For>
        <For each={pending()}>{(pm) => <PendingRow item={pm} me={p.ctx.me} first />}</For>
      </div>
      <form class="composer thread-composer" onSubmit={(e) => (e.preventDefault(), submit())}>
        <UploadTray tray={tray} />
        <div class="compose-box">
          <AttachButtons tray={tray} />
          <textarea
            ref={ta}
            rows={1}
            aria-label="Reply in thread"
            placeholder="Reply in thread"
            onInput={(e) => setText(e.currentTarget.value)}
            onPaste={pasteFiles(() => tray)}
            onKeyDown={(e) => {
              if (e.isComposing || e.key !== "Enter" || e.shiftKey) return;
              e.preventDefault();
              submit();
            }}
          />
          <button type="submit" class="send" aria-label="Send reply" disabled={text().length > LIMITS.BODY_MAX_CHARS || !canSendWith(tray, !!text().trim())}>
            <IconSend />
          </button>
        </div>
        <label class="check also-room">
          <input type="checkbox" checked={also()} onChange={(e) => setAlso(e.currentTarget.checked)} />
          <span>Also send to the room</span>
        </label>
      </form>
    </aside>
  );
}
