// Message search: debounced query over every room (or the current one) with filter chips (from:, in:, has:, before:, after:, "phrases"), newest first with "load more", matches marked; a result opens its room at the message.
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import { api, type SearchHit } from "../../lib/api";
import { describeError } from "../../lib/errors";
import { formatWhen } from "../../lib/format";
import { addFilter, FILTER_CHIPS, highlightSegments } from "./query";
import { loadMembers } from "../../state/members";
import { currentRoom, openMessage } from "../../state/route";
import { roomTitle, rooms } from "../../state/rooms";
import { displayName } from "../../state/users";
import { Modal } from "../../ui/Modal";

export function SearchDialog(p: { onClose: () => void }) {
  const [q, setQ] = createSignal("");
  const [here, setHere] = createSignal(false);
  const [hits, setHits] = createSignal<SearchHit[]>([]);
  const [next, setNext] = createSignal<number | undefined>();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const [done, setDone] = createSignal("");
  const room = currentRoom();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let input!: HTMLInputElement;
  let ticket = 0;
  onCleanup(() => clearTimeout(timer));

  const run = async (more = false) => {
    const query = q().trim();
    const t = ++ticket;
    if (!query) {
      setHits([]);
      setNext(undefined);
      setDone("");
      return;
    }
    setBusy(true);
    setError("");
    try {
      const res = await api.search(query, { room: here() && room ? room : undefined, before: more ? next() : undefined, limit: 20 });
      if (t !== ticket) return;
      for (const r of new Set(res.results.map((h) => h.room))) void loadMembers(r);
      setHits(more ? [...hits(), ...res.results] : res.results);
      setNext(res.nextBefore);
      setDone(query);
    } catch (e) {
      if (t === ticket) setError(describeError(e));
    } finally {
      if (t === ticket) setBusy(false);
    }
  };
  createEffect(
    on([q, here], () => {
      clearTimeout(timer);
      timer = setTimeout(() => void run(), 250);
    }, { defer: true }),
  );

  const open = (h: SearchHit) => {
    p.onClose();
    openMessage(h.room, h.seq);
  };

  return (
    <Modal title="Search messages" wide onClose={p.onClose}>
      <form class="stack search-form" role="search" onSubmit={(e) => (e.preventDefault(), clearTimeout(timer), void run())}>
        <input ref={input} type="search" name="q" autofocus maxLength={200} placeholder='Words, "a phrase", from:name, in:room, has:file, before:2026-01-31' aria-label="Search messages" value={q()} onInput={(e) => setQ(e.currentTarget.value)} />
        <div class="chips" role="group" aria-label="Filters">
          <For each={FILTER_CHIPS}>
            {(c) => (
              <button type="button" class="chip" aria-pressed={q().split(/\s+/).some((w) => w.startsWith(c.token) && (c.token.endsWith(":") ? w.length > c.token.length : true))} onClick={() => (setQ(addFilter(q(), c.token)), input.focus())}>
                {c.label}
              </button>
            )}
          </For>
        </div>
        <Show when={room && rooms[room]}>
          <label class="check">
            <input type="checkbox" checked={here()} onChange={(e) => setHere(e.currentTarget.checked)} />
            <span>Only in {rooms[room!]?.kind === "dm" ? roomTitle(rooms[room!]) : `#${roomTitle(rooms[room!])}`}</span>
          </label>
        </Show>
      </form>
      <div class="form-error" role="alert">{error()}</div>
      <ul class="results" aria-label="Search results" aria-busy={busy()}>
        <For each={hits()}>
          {(h) => {
            const r = rooms[h.room];
            return (
              <li>
                <button type="button" class="result" onClick={() => open(h)}>
                  <span class="result-head">
                    <strong>{r ? (r.kind === "dm" ? roomTitle(r) : `#${roomTitle(r)}`) : "Room"}</strong>
                    <span class="muted"> · {displayName(h.sender)}</span>
                    <time class="muted">{formatWhen(h.ts)}</time>
                  </span>
                  <span class="result-body">
                    <For each={highlightSegments(h.body, h.highlights)}>{(s) => (s.mark ? <mark>{s.text}</mark> : s.text)}</For>
                  </span>
                </button>
              </li>
            );
          }}
        </For>
      </ul>
      <Show when={!busy() && done() && !hits().length}>
        <p class="muted pad">No messages match “{done()}”.</p>
      </Show>
      <Show when={busy()}>
        <div class="loading" role="status"><span class="spinner" aria-hidden="true" /> Searching…</div>
      </Show>
      <Show when={next() !== undefined && !busy()}>
        <div class="actions">
          <button type="button" class="btn sm" onClick={() => void run(true)}>Load older results</button>
        </div>
      </Show>
    </Modal>
  );
}
