// Scrolling message list: day separators, sender grouping, infinite scroll up, stick-to-bottom with a "new messages" pill,
// read receipts under the newest message each member has read (small rooms), and jumps to a searched message.
import { createEffect, createMemo, createSignal, For, Index, on, onCleanup, onMount, Show } from "solid-js";
import { dayKey, formatDay } from "../../lib/format";
import { outbox } from "../../state/outbox";
import { receipts } from "../../state/activity";
import { memberCount, members } from "../../state/members";
import { focusTarget, setFocusTarget } from "../../state/route";
import { loadAround, loadOlder, threadRootOf, timelines, type Item } from "../../state/timeline";
import { displayName } from "../../state/users";
import { roomTitle, rooms } from "../../state/rooms";
import { Avatar } from "../../ui/Avatar";
import { IconDown, IconHash, IconLock } from "../../ui/icons";
import { markRead } from "../../state/messages";
import { MessageRow, PendingRow, SystemLine, type MsgCtx } from "./Message";

const GROUP_MS = 5 * 60_000;

function RoomIntro(p: { room: string }) {
  const r = () => rooms[p.room];
  const title = () => roomTitle(r());
  return (
    <div class="room-start">
      <Show when={r()?.kind === "dm" && r()?.peer} fallback={<span class="room-icon xl">{r()?.kind === "private" ? <IconLock size={26} /> : <IconHash size={26} />}</span>}>
        {(peer) => <Avatar name={title()} seed={peer().id} size={56} />}
      </Show>
      <h2>{r()?.kind === "dm" ? title() : `Welcome to #${title()}`}</h2>
      <p class="muted">
        {r()?.kind === "dm"
          ? `This is the beginning of your conversation with ${title()}.`
          : `This is the beginning of the ${r()?.kind === "private" ? "private" : "public"} room #${title()}.`}
        <Show when={r()?.kind !== "dm" && r()?.topic}> Topic: {r()?.topic}</Show>
      </p>
    </div>
  );
}

function startsGroup(prev: Item | undefined, cur: Item): boolean {
  if (!prev || prev.t !== "msg" || cur.t !== "msg") return true;
  return prev.sender !== cur.sender || cur.ts - prev.ts > GROUP_MS || dayKey(prev.ts) !== dayKey(cur.ts);
}

/** Receipts are shown in DMs and rooms of at most this many members. */
const RECEIPT_ROOM_MAX = 10;

export function MessageList(p: { ctx: MsgCtx & { setHighlight(seq: number | undefined): void }; unreadFrom: number }) {
  let scroller!: HTMLDivElement;
  let inner!: HTMLDivElement;
  const [atBottom, setAtBottom] = createSignal(true);
  const [newCount, setNewCount] = createSignal(0);
  const [visible, setVisible] = createSignal(document.visibilityState === "visible");
  const tl = () => timelines[p.ctx.room];
  const items = () => tl()?.items ?? [];
  const pending = createMemo(() => outbox.list.filter((x) => x.room === p.ctx.room && x.thread === undefined));
  const lastSeq = () => items()[items().length - 1]?.seq ?? 0;

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  const toBottom = (smooth = false) => {
    const far = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight > 1500;
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth && !far ? "smooth" : "auto" });
    setNewCount(0);
    setAtBottom(true);
  };

  const older = async () => {
    const t = tl();
    if (!t?.loaded || !t.hasMoreBefore || t.loadingOlder) return;
    const h = scroller.scrollHeight;
    const top = scroller.scrollTop;
    await loadOlder(p.ctx.room);
    scroller.scrollTop = top + (scroller.scrollHeight - h);
    // Still not scrollable? Keep paging until it is (or history ends).
    if (scroller.scrollHeight <= scroller.clientHeight + 10) void older();
  };

  // A page that fills no screen (thread replies are not shown in the room): page back until it does.
  createEffect(
    on([() => tl()?.loaded, () => items().length], ([loaded]) => {
      if (loaded && tl()?.hasMoreBefore) queueMicrotask(() => scroller.scrollHeight <= scroller.clientHeight + 10 && void older());
    }),
  );

  const onScroll = () => {
    const b = nearBottom();
    setAtBottom(b);
    if (b) setNewCount(0);
    if (scroller.scrollTop < 300) void older();
  };

  // New items at the bottom: follow them when at the bottom, otherwise count them for the pill.
  let wasAtBottom = true;
  createEffect(
    on([lastSeq, () => pending().length], ([seq], prev) => {
      const [prevSeq, prevPending] = prev ?? [0, 0];
      const grewMine = pending().length > (prevPending as number);
      if (wasAtBottom || grewMine || !prevSeq) {
        queueMicrotask(() => toBottom());
      } else if (seq > (prevSeq as number)) {
        const added = items().filter((i) => i.seq > (prevSeq as number) && i.t === "msg" && i.sender !== p.ctx.me).length;
        setNewCount((n) => n + added);
      }
    }),
  );
  createEffect(() => (wasAtBottom = atBottom()));

  // Keep the bottom in view when the pane resizes (keyboard on phones, images, typing line).
  onMount(() => {
    const ro = new ResizeObserver(() => wasAtBottom && (scroller.scrollTop = scroller.scrollHeight));
    ro.observe(scroller);
    ro.observe(inner);
    const onVis = () => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", onVis);
    window.addEventListener("focus", onVis);
    onCleanup(() => {
      ro.disconnect();
      document.removeEventListener("visibilitychange", onVis);
      window.removeEventListener("focus", onVis);
    });
  });

  // Read receipts: only while the conversation is visible at the bottom.
  createEffect(() => {
    const seq = tl()?.head ?? 0;
    const r = rooms[p.ctx.room];
    if (visible() && atBottom() && seq && r && (seq > (r.lastReadSeq ?? 0) || (r.unread ?? 0) > 0)) markRead(p.ctx.room, seq);
  });

  // Each other member's marker sits under the newest message (not their own) at or below their read mark.
  const seenAt = createMemo(() => {
    const out = new Map<number, string[]>();
    const r = rooms[p.ctx.room];
    const count = memberCount(p.ctx.room);
    if (!r || (r.kind !== "dm" && (count === undefined || count > RECEIPT_ROOM_MAX))) return out;
    const list = items();
    const marks = receipts[p.ctx.room] ?? {};
    const known = members[p.ctx.room];
    for (const [user, mark] of Object.entries(marks)) {
      if (user === p.ctx.me || (known && !known[user])) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const it = list[i];
        if (it.seq > mark || it.t !== "msg" || it.sender === user || it.deleted) continue;
        out.set(it.seq, [...(out.get(it.seq) ?? []), user]);
        break;
      }
    }
    return out;
  });

  // Jump to a message (search result): load around it, scroll it to the middle, highlight it.
  createEffect(
    on(focusTarget, (t) => {
      if (!t || t.room !== p.ctx.room) return;
      void loadAround(t.room, t.seq, rooms[t.room]?.lastSeq ?? 0).then(() =>
        requestAnimationFrame(() => {
          setFocusTarget(null);
          const el = scroller.querySelector<HTMLElement>(`article.msg[data-seq="${t.seq}"]`);
          // A thread reply (search hit, notification) lives in its thread: open that.
          const root = el ? undefined : threadRootOf(t.room, t.seq);
          if (root) p.ctx.onThread?.(root);
          if (!el) return;
          wasAtBottom = false;
          setAtBottom(false);
          el.scrollIntoView({ block: "center" });
          el.focus({ preventScroll: true });
          p.ctx.setHighlight(t.seq);
          setTimeout(() => p.ctx.highlightSeq() === t.seq && p.ctx.setHighlight(undefined), 3000);
        }),
      );
    }),
  );

  return (
    <div class="list-wrap">
      <div ref={scroller} class="list" onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions" tabindex="0">
        <div ref={inner} class="list-inner">
        <div class="spacer" />
        <Show when={tl()?.loaded && !tl()?.hasMoreBefore}>
          <RoomIntro room={p.ctx.room} />
        </Show>
        <Show when={tl()?.loadingOlder}>
          <div class="loading" role="status">
            <span class="spinner" aria-hidden="true" /> Loading messages…
          </div>
        </Show>
        <Show when={tl()?.error}>
          <div class="form-error pad" role="alert">{tl()?.error}</div>
        </Show>
        <For each={items()}>
          {(item, i) => {
            const prev = () => items()[i() - 1];
            const newDay = () => !prev() || dayKey(prev()!.ts) !== dayKey(item.ts);
            const unreadMark = () => p.unreadFrom > 0 && item.seq > p.unreadFrom && (!prev() || prev()!.seq <= p.unreadFrom) && item.t === "msg" && item.sender !== p.ctx.me;
            return (
              <>
                <Show when={newDay()}>
                  <div class="day" role="separator">
                    <span>{formatDay(item.ts)}</span>
                  </div>
                </Show>
                <Show when={unreadMark()}>
                  <div class="unread-mark" role="separator" aria-label="New messages">
                    <span>New</span>
                  </div>
                </Show>
                {item.t === "msg" ? (
                  <MessageRow item={item} first={startsGroup(prev(), item) || newDay() || unreadMark()} ctx={p.ctx} />
                ) : (
                  <SystemLine item={item} />
                )}
                <Show when={seenAt().get(item.seq)}>
                  {(who) => (
                    <div class="seen" role="note" aria-label={`Seen by ${who().map(displayName).join(", ")}`}>
                      <span class="seen-faces" aria-hidden="true">
                        <For each={who().slice(0, 5)}>{(u) => <Avatar name={displayName(u)} seed={u} size={16} />}</For>
                      </span>
                      {rooms[p.ctx.room]?.kind === "dm" ? "Seen" : `Seen by ${who().map(displayName).join(", ")}`}
                    </div>
                  )}
                </Show>
              </>
            );
          }}
        </For>
        <Index each={pending()}>
          {(pm, i) => <PendingRow item={pm()} me={p.ctx.me} first={i === 0 && (() => { const l = items()[items().length - 1]; return !l || l.t !== "msg" || l.sender !== p.ctx.me; })()} />}
        </Index>
        </div>
      </div>
      <Show when={!atBottom() && newCount() > 0}>
        <button type="button" class="pill" onClick={() => toBottom(true)}>
          <IconDown /> {newCount()} new message{newCount() === 1 ? "" : "s"}
        </button>
      </Show>
      <Show when={!atBottom() && newCount() === 0 && items().length > 0}>
        <button type="button" class="pill subtle" aria-label="Jump to latest" onClick={() => toBottom(true)}>
          <IconDown />
        </button>
      </Show>
    </div>
  );
}
