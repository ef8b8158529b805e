// Per-room event timelines: dedupe by (room, seq), fold edits/deletes/reactions, page history and fill gaps.
import { createStore, produce, reconcile } from "solid-js/store";
import type { MessageEvent, RoomEvent } from "../../../server/protocol/types";
import { fold, type Item, type Mod, type MsgItem } from "./fold";
import { api } from "../lib/api";
import { request } from "../lib/socket";
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
  /** Thread replies by root seq (from the room's timeline and from thread pages). */
  replies: Map<number, Map<number, MessageEvent>>;
  filling: boolean;
}

/** An open thread panel: the root first, then its replies in seq order. */
export interface ThreadView {
  items: MsgItem[];
  hasMoreBefore: boolean;
  loading: boolean;
  loaded: boolean;
  error?: string;
}

const [timelines, setTimelines] = createStore<Record<string, Timeline>>({});
const raws = new Map<string, Raw>();
const [threads, setThreads] = createStore<Record<string, ThreadView>>({});
export { timelines, threads };
export const threadKey = (room: string, root: number) => `${room}#${root}`;
export type { Item, MsgItem, SysItem } from "./fold";

function raw(room: string): Raw {
  let r = raws.get(room);
  if (!r) raws.set(room, (r = { seen: new Set(), msgs: new Map(), mods: new Map(), replies: new Map(), filling: false }));
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

const isMod = (ev: RoomEvent | Mod): ev is Mod => ev.kind === "edit" || ev.kind === "delete" || ev.kind === "reaction" || ev.kind === "preview";
const foldSeq = (r: Raw, seq: number) => fold(r.msgs.get(seq)!, r.mods.get(seq), r.replies.get(seq)?.values());

function addReply(r: Raw, ev: MessageEvent): void {
  const root = ev.threadRoot!;
  let m = r.replies.get(root);
  if (!m) r.replies.set(root, (m = new Map()));
  m.set(ev.seq, ev);
}

/** Rebuild an open thread panel from the room's raw events. */
function refreshThread(room: string, root: number): void {
  const key = threadKey(room, root);
  const r = raws.get(room);
  if (!threads[key] || !r) return;
  const seqs = [...(r.replies.get(root)?.keys() ?? [])].sort((a, b) => a - b);
  if (r.msgs.has(root)) seqs.unshift(root);
  setThreads(key, "items", reconcile(seqs.map((s) => foldSeq(r, s)), { key: "seq" }));
}

/** Add events (any order, duplicates allowed). Returns the events that were new. */
export function ingest(room: string, events: RoomEvent[]): RoomEvent[] {
  if (!timelines[room]) return [];
  const r = raw(room);
  const fresh = events.filter((e) => e && typeof e.seq === "number" && !r.seen.has(e.seq)).sort((a, b) => a.seq - b.seq);
  if (!fresh.length) return [];
  const touched = new Set<number>();
  const threadsTouched = new Set<number>();
  setTimelines(
    room,
    produce((tl) => {
      for (const ev of fresh as (RoomEvent | Mod)[]) {
        r.seen.add(ev.seq);
        if (ev.kind === "message") {
          r.msgs.set(ev.seq, ev);
          if (ev.threadRoot !== undefined) {
            addReply(r, ev);
            touched.add(ev.threadRoot);
            threadsTouched.add(ev.threadRoot);
            if (!ev.alsoInRoom) continue;
          }
          const i = findIndex(tl.items, ev.seq);
          tl.items.splice(i, 0, foldSeq(r, ev.seq));
        } else if (isMod(ev)) {
          const list = r.mods.get(ev.msgSeq) ?? [];
          list.push(ev);
          r.mods.set(ev.msgSeq, list);
          const target = r.msgs.get(ev.msgSeq);
          if (target) touched.add(ev.msgSeq);
          if (target?.threadRoot !== undefined) threadsTouched.add(target.threadRoot);
          else if (target) threadsTouched.add(ev.msgSeq);
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
        const next = foldSeq(r, seq);
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
  for (const root of threadsTouched) refreshThread(room, root);
  return fresh;
}

/** Open a thread panel: load the newest page of the root and its replies (history with `thread`). */
export async function loadThread(room: string, root: number, older = false): Promise<void> {
  const key = threadKey(room, root);
  const cur = threads[key];
  if (cur?.loading || (older && !cur?.hasMoreBefore) || (!older && cur?.loaded)) return;
  if (!cur) setThreads(key, { items: [], hasMoreBefore: false, loading: true, loaded: false });
  else setThreads(key, "loading", true);
  const r = raw(room);
  const lowest = older ? [...(r.replies.get(root)?.keys() ?? [])].reduce((a, b) => Math.min(a, b), Infinity) : Infinity;
  try {
    const ok = await request({ type: "history", room, thread: root, limit: 50, before: Number.isFinite(lowest) ? lowest : undefined });
    for (const ev of (ok.events ?? []) as RoomEvent[]) {
      if (ev.kind !== "message") continue;
      if (!r.msgs.has(ev.seq)) r.msgs.set(ev.seq, ev);
      if (ev.threadRoot === root) addReply(r, r.msgs.get(ev.seq)!);
    }
    setThreads(key, { loading: false, loaded: true, hasMoreBefore: !!ok.hasMore, error: undefined });
    refreshThread(room, root);
  } catch (e) {
    setThreads(key, { loading: false, error: (e as Error).message || "Could not load the thread" });
  }
}

export function closeThread(room: string, root: number): void {
  setThreads(threadKey(room, root), undefined!);
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

/** The root of thread reply `seq`, when it is one we hold. */
export function threadRootOf(room: string, seq: number): number | undefined {
  return raws.get(room)?.msgs.get(seq)?.threadRoot;
}

export function findMsg(room: string, seq: number): MsgItem | undefined {
  const tl = timelines[room];
  if (!tl) return undefined;
  const it = tl.items[findIndex(tl.items, seq)];
  return it?.seq === seq && it.t === "msg" ? it : undefined;
}

export function clearTimelines(): void {
  for (const k of Object.keys(timelines)) setTimelines(k, undefined!);
  for (const k of Object.keys(threads)) setThreads(k, undefined!);
  raws.clear();
}
