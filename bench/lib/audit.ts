// Correctness audit: per connection and room, finds missing, duplicated and out-of-order deliveries, and acked messages absent from storage.
import { spanEquals, spanText } from "./frame";

/**
 * Growable bitset of seqs from `base` on (seqs below it in a small Set): a run of 10^5 messages costs 12.5 KB
 * per (connection, room) whatever the room's seq was when the run started, not a Set of boxed numbers.
 */
export class SeqSet {
  private bits = new Uint32Array(8);
  private below?: Set<number>;
  constructor(private readonly base = 0) {}
  has(seq: number): boolean {
    const i = seq - this.base;
    if (i < 0) return this.below?.has(seq) ?? false;
    const w = i >>> 5;
    return w < this.bits.length && (this.bits[w] & (1 << (i & 31))) !== 0;
  }
  add(seq: number): void {
    const i = seq - this.base;
    if (i < 0) {
      (this.below ??= new Set()).add(seq);
      return;
    }
    const w = i >>> 5;
    if (w >= this.bits.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[w] |= 1 << (i & 31);
  }
}

/** What was acked in one room: the clientMsgId of each seq, in a dense array from the first acked seq on. */
class RoomLog {
  /** ids[seq - base]; base is fixed by the first ack. */
  private ids: (string | undefined)[] = [];
  private base = -1;
  /** Acked seqs in the order they were acked. */
  readonly seqs: number[] = [];
  constructor(readonly id: string) {}

  idOf(seq: number): string | undefined {
    const i = seq - this.base;
    return this.base < 0 || i < 0 ? undefined : this.ids[i];
  }

  /** Records an ack; returns the id already acked with this seq, if any (then nothing changes). */
  add(seq: number, clientMsgId: string): string | undefined {
    if (this.base < 0) this.base = Math.max(0, seq - 1024); // acks may arrive a little out of seq order
    const prior = this.idOf(seq);
    if (prior !== undefined) return prior;
    if (seq < this.base) {
      // Far older than the first ack: rebase (rare; only a resend answered with an old seq does this).
      const shift = this.base - seq;
      this.ids = [...new Array<string | undefined>(shift), ...this.ids];
      this.base = seq;
    }
    this.ids[seq - this.base] = clientMsgId;
    this.seqs.push(seq);
    return undefined;
  }
}

/** One (connection, room) delivery stream. The connection keeps a reference to it, so a delivery costs no lookup. */
export interface Stream {
  conn: number;
  room: RoomLog;
  /** The connection is owed every acked message with seq > from. */
  from: number;
  last: number;
  seen: SeqSet;
}

export interface AuditCounts {
  /** Acked messages that never reached a member connection (one per connection missing it). */
  missing: number;
  /** Deliveries of a seq the connection had already received. */
  duplicated: number;
  /** Live deliveries with a seq lower than one already received. */
  outOfOrder: number;
  /** A delivered or stored seq carrying a different message than the one acked with that seq. */
  mismatched: number;
  /** Acked messages absent from the server's history (checked only when `stored` was called for the room). */
  notStored: number;
  /** Sends neither acked nor rejected by the end of the run (excluding those abandoned on a dropped connection). */
  unacked: number;
  /** Sends answered with an error frame. */
  rejected: number;
  /** Rooms whose stored log could not be read back, so their storage is unverified. */
  unverified: number;
}

export interface AuditReport extends AuditCounts {
  ok: boolean;
  acked: number;
  deliveries: number;
  streams: number;
  roomsChecked: number;
  /** The first few problems, human-readable, for debugging a failed run. */
  examples: string[];
}

const MAX_EXAMPLES = 12;

export class Audit {
  private readonly rooms = new Map<string, RoomLog>();
  /** room → connection → stream, for the report and for callers without a stream reference. */
  private readonly streams = new Map<string, Map<number, Stream>>();
  private streamCount = 0;
  private readonly pending = new Set<string>();
  private readonly storedRooms = new Set<string>();
  private readonly c: AuditCounts = { missing: 0, duplicated: 0, outOfOrder: 0, mismatched: 0, notStored: 0, unacked: 0, rejected: 0, unverified: 0 };
  private deliveries = 0;
  private ackCount = 0;
  readonly examples: string[] = [];

  private note(msg: string): void {
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(msg);
  }

  private room(id: string): RoomLog {
    let r = this.rooms.get(id);
    if (!r) this.rooms.set(id, (r = new RoomLog(id)));
    return r;
  }

  private stream(conn: number, room: string, from: number): Stream {
    let byConn = this.streams.get(room);
    if (!byConn) this.streams.set(room, (byConn = new Map()));
    let s = byConn.get(conn);
    if (!s) {
      byConn.set(conn, (s = { conn, room: this.room(room), from, last: from, seen: new SeqSet(from + 1) }));
      this.streamCount++;
    }
    return s;
  }

  /** Deliveries checked so far (every event that reached a connection). */
  get delivered(): number {
    return this.deliveries;
  }

  /** A send left the client; it must end in ack(), reject() or abandon(). */
  sent(clientMsgId: string): void {
    this.pending.add(clientMsgId);
  }

  ack(clientMsgId: string, room: string, seq: number): void {
    this.pending.delete(clientMsgId);
    const prior = this.room(room).add(seq, clientMsgId);
    if (prior === undefined) this.ackCount++;
    else if (prior !== clientMsgId) {
      // Idempotent resend of the same clientMsgId is fine; a second message on one seq is not.
      this.c.mismatched++;
      this.note(`room ${room} seq ${seq} acked for ${prior} and ${clientMsgId}`);
    }
  }

  reject(clientMsgId: string, code: string): void {
    if (!this.pending.delete(clientMsgId)) return;
    this.c.rejected++;
    this.note(`send ${clientMsgId} rejected: ${code}`);
  }

  /** The connection carrying the send dropped before the ack: the outcome is unknown, so it is neither owed nor an error. */
  abandon(clientMsgId: string): void {
    this.pending.delete(clientMsgId);
  }

  /** From now on, connection `conn` is owed every acked message of `room` with seq > afterSeq. Idempotent per (conn, room); returns the stream. */
  watch(conn: number, room: string, afterSeq: number): Stream {
    return this.stream(conn, room, afterSeq);
  }

  /**
   * One event reached a connection. `live` events must arrive in increasing seq
   * order; backfill (history paged after a gap) is exempt from ordering but not from duplicates.
   * Returns false for a duplicate.
   */
  deliver(conn: number, room: string, seq: number, clientMsgId?: string, live = true): boolean {
    const s = this.streams.get(room)?.get(conn) ?? this.stream(conn, room, seq - 1);
    if (!this.receive(s, seq, live)) return false;
    if (clientMsgId !== undefined) {
      const want = s.room.idOf(seq);
      if (want !== undefined && want !== clientMsgId) this.mismatch(s, seq, clientMsgId, want);
    }
    return true;
  }

  /**
   * deliver() for a caller holding the stream, with the clientMsgId given as the ASCII bytes buf[idAt, idEnd) of
   * the raw frame (idAt -1: none), so that checking a delivery allocates nothing.
   */
  deliverTo(s: Stream, seq: number, live: boolean, buf: Uint8Array, idAt: number, idEnd: number): boolean {
    if (!this.receive(s, seq, live)) return false;
    if (idAt >= 0) {
      const want = s.room.idOf(seq);
      if (want !== undefined && !spanEquals(buf, idAt, idEnd, want)) this.mismatch(s, seq, spanText(buf, idAt, idEnd), want);
    }
    return true;
  }

  /** Counts a delivery and checks it for duplicates and (live) order; false for a duplicate. */
  private receive(s: Stream, seq: number, live: boolean): boolean {
    this.deliveries++;
    if (s.seen.has(seq)) {
      this.c.duplicated++;
      this.note(`conn ${s.conn} room ${s.room.id} seq ${seq} delivered twice`);
      return false;
    }
    s.seen.add(seq);
    if (live) {
      if (seq < s.last) {
        this.c.outOfOrder++;
        this.note(`conn ${s.conn} room ${s.room.id} seq ${seq} arrived after seq ${s.last}`);
      } else s.last = seq;
    }
    return true;
  }

  private mismatch(s: Stream, seq: number, carried: string, want: string): void {
    this.c.mismatched++;
    this.note(`conn ${s.conn} room ${s.room.id} seq ${seq} carried ${carried}, acked as ${want}`);
  }

  /** Highest seq a connection has seen in a room (what it would resume `since`). */
  lastSeen(conn: number, room: string): number | undefined {
    return this.streams.get(room)?.get(conn)?.last;
  }

  /** Compares the server's stored log of a room (e.g. from the history API) against what it acked. */
  stored(room: string, events: { seq: number; clientMsgId?: string }[]): void {
    this.storedRooms.add(room);
    const have = new Map(events.map((e) => [e.seq, e.clientMsgId]));
    const log = this.rooms.get(room);
    for (const seq of log?.seqs ?? []) {
      const id = log!.idOf(seq);
      if (!have.has(seq)) {
        this.c.notStored++;
        this.note(`room ${room} seq ${seq} (${id}) acked but not in history`);
      } else if (have.get(seq) !== id) {
        this.c.mismatched++;
        this.note(`room ${room} seq ${seq} stored as ${have.get(seq)}, acked as ${id}`);
      }
    }
  }

  /** The stored log of a room could not be read (e.g. the history API failed): its storage stays unverified. */
  unreadable(room: string, why: string): void {
    this.c.unverified++;
    this.note(`room ${room}: stored log unreadable: ${why.slice(0, 160)}`);
  }

  /** Rooms with at least one acked message (what `stored` should be fed with). */
  roomsWithAcks(): string[] {
    return [...this.rooms.values()].filter((r) => r.seqs.length > 0).map((r) => r.id);
  }

  report(): AuditReport {
    const counts = { ...this.c };
    const examples = [...this.examples];
    const note = (m: string) => examples.length < MAX_EXAMPLES && examples.push(m);
    counts.unacked = this.pending.size;
    for (const id of [...this.pending].slice(0, 3)) note(`send ${id} never answered`);
    for (const byConn of this.streams.values()) {
      for (const s of byConn.values()) {
        for (const seq of s.room.seqs) {
          if (seq > s.from && !s.seen.has(seq)) {
            counts.missing++;
            note(`conn ${s.conn} room ${s.room.id} never got seq ${seq}`);
          }
        }
      }
    }
    const ok = Object.values(counts).every((n) => n === 0);
    return {
      ...counts,
      ok,
      acked: this.ackCount,
      deliveries: this.deliveries,
      streams: this.streamCount,
      roomsChecked: this.storedRooms.size,
      examples,
    };
  }
}

/** Sums audit reports of several scenarios or targets into one verdict. */
export function mergeReports(reports: AuditReport[]): AuditReport {
  const out: AuditReport = {
    missing: 0, duplicated: 0, outOfOrder: 0, mismatched: 0, notStored: 0, unacked: 0, rejected: 0, unverified: 0,
    ok: true, acked: 0, deliveries: 0, streams: 0, roomsChecked: 0, examples: [],
  };
  for (const r of reports) {
    for (const k of ["missing", "duplicated", "outOfOrder", "mismatched", "notStored", "unacked", "rejected", "unverified", "acked", "deliveries", "streams", "roomsChecked"] as const) out[k] += r[k];
    out.ok &&= r.ok;
    out.examples.push(...r.examples.slice(0, MAX_EXAMPLES - out.examples.length));
  }
  return out;
}
