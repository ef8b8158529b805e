// Shared sink for all connections of a run: latency per load step, ack/delivery accounting and the correctness audit; plus bulk connect.
import type { RoomEvent } from "../../server/protocol/types";
import { Audit } from "./audit";
import { Conn, type ConnOptions, type ConnRoom, wsUrlOf } from "./client";
import { type EventFields, spanStartsWith, spanText } from "./frame";
import { Histogram } from "./histogram";
import { type Layout, roomsInUse } from "./provision";
import { type Progress, pool } from "./progress";
import { readStamp } from "./schedule";

/** Counters of one load step. Messages belong to a step through their clientMsgId prefix, so late deliveries still land in their own step. */
export class StepStats {
  readonly latency = new Histogram();
  readonly ackLatency = new Histogram();
  sent = 0;
  acked = 0;
  /** Deliveries owed: acked messages × members of their room. */
  expected = 0;
  delivered = 0;
  /** Deliveries that arrived while the step was still sending (for the achieved rate). */
  firstAt = Infinity;
  lastAt = 0;
}

export class Recorder {
  readonly audit = new Audit();
  readonly steps = new Map<string, StepStats>();
  readonly roomMembers = new Map<string, number>();
  /** Time of each resumed welcome (reconnect-storm). */
  readonly resumes: number[] = [];
  onAck?: (conn: Conn, ev: RoomEvent) => void;
  /** Each first delivery of a step's message with its latency in µs (fanout splits them by node with it). */
  onLatency?: (conn: Conn, clientMsgId: string, us: number) => void;

  constructor(layout: Layout, connected: number) {
    // Members per room among the connections we open: the fan-out each send is owed.
    for (let i = 0; i < Math.min(connected, layout.members); i++) {
      const room = layout.rooms[Math.floor(i / layout.roomSize)];
      this.roomMembers.set(room, (this.roomMembers.get(room) ?? 0) + 1);
    }
    for (let i = 0; i < Math.min(connected, layout.solo.length); i++) this.roomMembers.set(layout.solo[i], 1);
  }

  step(tag: string): StepStats {
    let s = this.steps.get(tag);
    if (!s) this.steps.set(tag, (s = new StepStats()));
    return s;
  }

  private stepOf(clientMsgId: string | undefined): StepStats | undefined {
    return clientMsgId ? this.stepAt(clientMsgId, 0) : undefined;
  }

  /** The last step looked up, as "tag." : nearly every delivery belongs to the step being run, so this saves a slice and a lookup. */
  private lastTagDot = "";
  private lastStep?: StepStats;

  /** The step of the clientMsgId starting at text[at] (its tag is the part before the first dot). */
  private stepAt(text: string, at: number): StepStats | undefined {
    if (this.lastStep && text.startsWith(this.lastTagDot, at)) return this.lastStep;
    const dot = text.indexOf(".", at);
    return dot > at ? this.stepOfTag(text.slice(at, dot)) : undefined;
  }

  /** stepAt() for a clientMsgId given as the ASCII bytes buf[at, end) of a frame: allocates only when the step changes. */
  private stepAtBytes(buf: Uint8Array, at: number, end: number): StepStats | undefined {
    if (this.lastStep && spanStartsWith(buf, at, end, this.lastTagDot)) return this.lastStep;
    const dot = buf.indexOf(46, at);
    return dot > at && dot < end ? this.stepOfTag(spanText(buf, at, dot)) : undefined;
  }

  private stepOfTag(tag: string): StepStats | undefined {
    const st = this.steps.get(tag);
    if (st) {
      this.lastTagDot = `${tag}.`;
      this.lastStep = st;
    }
    return st;
  }

  welcome(conn: Conn, rooms: { id: string; lastSeq: number }[], resumed: boolean): void {
    if (resumed) this.resumes.push(performance.now());
    else for (const r of rooms) conn.room(r.id)!.stream = this.audit.watch(conn.idx, r.id, r.lastSeq);
  }

  /** The lean path (client.ts, frame.ts): a live event's fields as positions in the frame's bytes; nothing is allocated. */
  delivery(conn: Conn, room: ConnRoom, f: EventFields, buf: Uint8Array, atMs: number): void {
    const fresh = this.audit.deliverTo(room.stream!, f.seq, true, buf, f.idAt, f.idEnd);
    if (!fresh || !f.message || f.idAt < 0) return;
    const st = this.stepAtBytes(buf, f.idAt, f.idEnd);
    if (!st) return;
    if (f.stampMs === f.stampMs) {
      const us = (atMs - f.stampMs) * 1000;
      st.latency.record(us);
      this.onLatency?.(conn, spanText(buf, f.idAt, f.idEnd), us);
    }
    st.delivered++;
    if (atMs < st.firstAt) st.firstAt = atMs;
    if (atMs > st.lastAt) st.lastAt = atMs;
  }

  event(conn: Conn, ev: RoomEvent, live: boolean, atMs: number): void {
    const id = ev.kind === "message" ? ev.clientMsgId : undefined;
    const fresh = this.audit.deliver(conn.idx, ev.room, ev.seq, id, live);
    const st = this.stepOf(id);
    if (!st || !fresh || ev.kind !== "message") return;
    const t = readStamp(ev.body);
    if (t !== undefined) {
      st.latency.record((atMs - t) * 1000);
      this.onLatency?.(conn, id!, (atMs - t) * 1000);
    }
    st.delivered++;
    if (atMs < st.firstAt) st.firstAt = atMs;
    if (atMs > st.lastAt) st.lastAt = atMs;
  }

  ack(conn: Conn, clientMsgId: string, ev: RoomEvent, atMs: number): void {
    this.audit.ack(clientMsgId, ev.room, ev.seq);
    const st = this.stepOf(clientMsgId);
    if (st) {
      st.acked++;
      st.expected += this.roomMembers.get(ev.room) ?? 0;
      const t = ev.kind === "message" ? readStamp(ev.body) : undefined;
      if (t !== undefined) st.ackLatency.record((atMs - t) * 1000);
    }
    this.onAck?.(conn, ev);
  }

  reject(_conn: Conn, clientMsgId: string, code: string): void {
    this.audit.reject(clientMsgId, code);
  }

  abandon(_conn: Conn, ids: string[]): void {
    for (const id of ids) this.audit.abandon(id);
  }

  /** Records a send leaving the client (so the audit expects an answer). */
  sent(clientMsgId: string): void {
    this.audit.sent(clientMsgId);
    const st = this.stepOf(clientMsgId);
    if (st) st.sent++;
  }
}

/** Opens connections for accounts [0, count) (cycling if there are fewer accounts) and waits for every welcome. */
export function connectAll(base: string, layout: Layout, count: number, rec: Recorder, opts: ConnOptions, progress: Progress, label: string): Promise<Conn[]> {
  return connectSome(base, layout, Array.from({ length: count }, (_, i) => i), rec, opts, progress, label);
}

/** Opens the connections with these indices (connection i uses account i, cycling) and waits for every welcome. */
export async function connectSome(base: string, layout: Layout, indices: number[], rec: Recorder, opts: ConnOptions, progress: Progress, label: string): Promise<Conn[]> {
  const url = wsUrlOf(base);
  const count = indices.length;
  const conns = indices.map((i) => new Conn(i, url, layout.accounts[i % layout.accounts.length].token, rec, opts));
  let n = 0;
  // Bounded concurrency: a burst of thousands of simultaneous handshakes measures the accept queue, not the server.
  await pool(conns, 64, async (c) => {
    await c.connect();
    progress.set(`${label}: connected ${++n}/${count}`);
  });
  return conns;
}

export function closeAll(conns: Conn[]): void {
  for (const c of conns) c.close();
}

/**
 * Room and connection of sender s when accounts [0, connected) are connected: senders spread over
 * the rooms those connections fill first, then over members within a room.
 */
export function senderSlot(s: number, layout: Layout, connected: number): { conn: number; room: string } {
  const rooms = Math.max(1, roomsInUse(layout, connected));
  const r = s % rooms;
  const member = Math.floor(s / rooms) % layout.roomSize;
  return { conn: Math.min(r * layout.roomSize + member, layout.members - 1, connected - 1), room: layout.rooms[r] };
}
