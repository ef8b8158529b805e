// Message search: debounced query over every room (or the current one), newest first with "load more"; a result opens its room at the message.
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js";
import { api, type SearchHit } from "../../lib/api";
import { describeError } from "../../lib/errors";
import { formatWhen } from "../../lib/format";
import { plainPreview } from "../../lib/markdown";
import { loadMembers } from "../../state/members";
import { currentRoom, openMessage } from "../../state/route";
import { roomTitle, rooms } from "../../state/rooms";
import { displayName } from "../../state/users";
import { Modal } from "../../ui/Modal";

/** The snippet around the first match, split so the match can be marked. */
function snippet(body: string, q: string): [string, string, string] {
  const text = plainPreview(body, 4000);
  const i = text.toLowerCase().indexOf(q.toLowerCase());
  if (i < 0) return [text.slice(0, 140), "", ""];
  const start = Math.max(0, i - 50);
  const pre = (start > 0 ? "…" : "") + text.slice(start, i);
  const post = text.slice(i + q.length, i + q.length + 90);
  return [pre, text.slice(i, i + q.length), post + (i + q.length + 90 < text.length ? "…" : "")];
}

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
        <input type="search" name="q" autofocus maxLength={200} placeholder="Search for words in messages" aria-label="Search messages" value={q()} onInput={(e) => setQ(e.currentTarget.value)} />
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
            const [pre, mark, post] = snippet(h.body, done() || q());
            const r = rooms[h.room];
            return (
              <li>
                <button type="button" class="result" onClick={() => open(h)}>
                  <span class="result-head">
                    <strong>{r ? (r.kind === "dm" ? roomTitle(r) : `#${roomTitle(r)}`) : "Room"}</strong>
                    <span class="muted"> · {displayName(h.sender)}</span>
                    <time class="muted">{formatWhen(h.ts)}</time>
                  </span>
                  <span class="result-body">{pre}<mark>{mark}</mark>{post}</span>
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
