// Per-room event timelines: dedupe by (room, seq), fold edits/deletes/reactions, page history and fill gaps.
import { createStore, produce } from "solid-js/store";
import type { MessageEvent, RoomEvent } from "../../../server/protocol/types";
import { fold, type Item, type Mod, type MsgItem } from "./fold";
import { api } from "../lib/api";
import { rememberUser } from "./users";

export interface Timeline {
  items: Item[];
  low: number;
  head: number;
  hasMoreBefore: boolean;
  loadingOlder: boolean;
  loaded: boolean;
  error?: string;
}

interface Raw {
  seen: Set<number>;
  msgs: Map<number, MessageEvent>;
  mods: Map<number, Mod[]>;
  filling: boolean;
}

const [timelines, setTimelines] = createStore<Record<string, Timeline>>({});
const raws = new Map<string, Raw>();
export { timelines };
export type { Item, MsgItem, SysItem } from "./fold";

function raw(room: string): Raw {
  let r = raws.get(room);
  if (!r) raws.set(room, (r = { seen: new Set(), msgs: new Map(), mods: new Map(), filling: false }));
  return r;
}

function findIndex(items: Item[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function hasTimeline(room: string): boolean {
  return !!timelines[room];
}

/** Add events (any order, duplicates allowed). Returns the events that were new. */
export function ingest(room: string, events: RoomEvent[]): RoomEvent[] {
  if (!timelines[room]) return [];
  const r = raw(room);
  const fresh = events.filter((e) => e && typeof e.seq === "number" && !r.seen.has(e.seq)).sort((a, b) => a.seq - b.seq);
  if (!fresh.length) return [];
  const touched = new Set<number>();
  setTimelines(
    room,
    produce((tl) => {
      for (const ev of fresh) {
        r.seen.add(ev.seq);
        if (ev.kind === "message") {
          r.msgs.set(ev.seq, ev);
          const i = findIndex(tl.items, ev.seq);
          tl.items.splice(i, 0, fold(ev, r.mods.get(ev.seq)));
        } else if (ev.kind === "edit" || ev.kind === "delete" || ev.kind === "reaction") {
          const list = r.mods.get(ev.msgSeq) ?? [];
          list.push(ev);
          r.mods.set(ev.msgSeq, list);
          if (r.msgs.has(ev.msgSeq)) touched.add(ev.msgSeq);
        } else if (ev.kind === "member" || ev.kind === "room") {
          if (ev.kind === "member") rememberUser(ev.user);
          const i = findIndex(tl.items, ev.seq);
          tl.items.splice(i, 0, { t: "sys", seq: ev.seq, ts: ev.ts, ev });
        }
      }
      for (const seq of touched) {
        const i = findIndex(tl.items, seq);
        const cur = tl.items[i];
        if (cur?.seq !== seq || cur.t !== "msg") continue;
        const next = fold(r.msgs.get(seq)!, r.mods.get(seq));
        Object.assign(cur, next);
        for (const k of Object.keys(cur.reactions)) if (!next.reactions[k]) delete cur.reactions[k];
      }
      if (tl.low === Infinity || tl.low === 0) tl.low = fresh[0].seq;
      tl.low = Math.min(tl.low, fresh[0].seq);
      let h = tl.low - 1;
      while (r.seen.has(h + 1)) h++;
      tl.head = h;
    }),
  );
  return fresh;
}

/** Highest seq seen that lies beyond the contiguous head (a hole to fill), or 0. */
function holeEnd(room: string): number {
  const tl = timelines[room];
  const r = raws.get(room);
  if (!tl || !r) return 0;
  let max = 0;
  for (const s of r.seen) if (s > max) max = s;
  return max > tl.head ? max : 0;
}

const latestLoads = new Map<string, Promise<void>>();

/** Load the newest page of a room once; concurrent callers share the request. */
export function loadLatest(room: string, lastSeq = 0): Promise<void> {
  if (timelines[room]?.loaded) return Promise.resolve();
  let p = latestLoads.get(room);
  if (!p) {
    p = fetchLatest(room, lastSeq).finally(() => latestLoads.delete(room));
    latestLoads.set(room, p);
  }
  return p;
}

async function fetchLatest(room: string, lastSeq: number): Promise<void> {
  if (!timelines[room]) {
    setTimelines(room, { items: [], low: Infinity, head: 0, hasMoreBefore: false, loadingOlder: true, loaded: false });
  }
  try {
    const res = await api.messages(room, { limit: 50 });
    setTimelines(room, { loaded: true, loadingOlder: false, hasMoreBefore: res.hasMore, error: undefined });
    if (!res.events.length) {
      if (timelines[room].low === Infinity) setTimelines(room, { low: lastSeq + 1, head: lastSeq });
    }
    ingest(room, res.events);
    if (holeEnd(room)) void fillAfter(room);
  } catch (e) {
    setTimelines(room, { loadingOlder: false, error: (e as Error).message || "Could not load messages" });
  }
}

export async function loadOlder(room: string): Promise<void> {
  const tl = timelines[room];
  if (!tl || !tl.loaded || !tl.hasMoreBefore || tl.loadingOlder) return;
  setTimelines(room, "loadingOlder", true);
  try {
    const res = await api.messages(room, { before: tl.low, limit: 50 });
    ingest(room, res.events);
    setTimelines(room, { hasMoreBefore: res.hasMore && res.events.length > 0, loadingOlder: false });
  } catch {
    setTimelines(room, "loadingOlder", false);
  }
}

/** Page forward from the contiguous head until the hole (or `until`) is covered. */
export async function fillAfter(room: string, until = 0): Promise<void> {
  const r = raws.get(room);
  const tl = timelines[room];
  if (!r || !tl?.loaded || r.filling) return;
  r.filling = true;
  try {
    for (let guard = 0; guard < 100; guard++) {
      const target = Math.max(until, holeEnd(room));
      const head = timelines[room].head;
      if (!target || head >= target) break;
      const res = await api.messages(room, { after: head, limit: 200 });
        ingest(room, res.events);
      if (!res.events.length) break;
    }
  } catch {
    /* retried on the next gap or reconnect */
  } finally {
    r.filling = false;
  }
}

/**
 * Make sure the message `seq` is loaded (search jumps): fetch the page around it, then page forward
 * so the timeline stays contiguous up to the live head.
 */
export async function loadAround(room: string, seq: number, lastSeq = 0): Promise<void> {
  await loadLatest(room, lastSeq);
  const tl = timelines[room];
  if (!tl?.loaded || raw(room).seen.has(seq)) return;
  const from = Math.max(0, seq - 25);
  const res = await api.messages(room, { after: from, limit: 50 });
  ingest(room, res.events);
  setTimelines(room, "hasMoreBefore", timelines[room].low > 1);
  await fillAfter(room);
}

/** Since-map for hello: the contiguous head of every loaded timeline. */
export function sinceMap(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [room, tl] of Object.entries(timelines)) if (tl?.loaded) out[room] = tl.head;
  return out;
}

export function findMsg(room: string, seq: number): MsgItem | undefined {
  const tl = timelines[room];
  if (!tl) return undefined;
  const it = tl.items[findIndex(tl.items, seq)];
  return it?.seq === seq && it.t === "msg" ? it : undefined;
}

export function clearTimelines(): void {
  for (const k of Object.keys(timelines)) setTimelines(k, undefined!);
  raws.clear();
}
