// Correctness audit: per connection and room, finds missing, duplicated and out-of-order deliveries, and acked messages absent from storage.

/** Growable bitset of seqs; a run of 10^5 messages costs 12.5 KB per (connection, room), not a Set of boxed numbers. */
export class SeqSet {
  private bits = new Uint32Array(8);
  has(seq: number): boolean {
    const w = seq >>> 5;
    return w < this.bits.length && (this.bits[w] & (1 << (seq & 31))) !== 0;
  }
  add(seq: number): void {
    const w = seq >>> 5;
    if (w >= this.bits.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[w] |= 1 << (seq & 31);
  }
}

interface Stream {
  conn: number;
  room: string;
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
  private readonly acked = new Map<string, Map<number, string>>();
  private readonly ackedSeqs = new Map<string, number[]>();
  /** room → connection → stream. Nested maps: a composite string key per delivery cost the generator ~15 % of a core at 100,000 deliveries/s. */
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

  private roomStreams(room: string): Map<number, Stream> {
    let m = this.streams.get(room);
    if (!m) this.streams.set(room, (m = new Map()));
    return m;
  }

  private addStream(byConn: Map<number, Stream>, s: Stream): void {
    byConn.set(s.conn, s);
    this.streamCount++;
  }

  /** A send left the client; it must end in ack(), reject() or abandon(). */
  sent(clientMsgId: string): void {
    this.pending.add(clientMsgId);
  }

  ack(clientMsgId: string, room: string, seq: number): void {
    this.pending.delete(clientMsgId);
    let bySeq = this.acked.get(room);
    if (!bySeq) this.acked.set(room, (bySeq = new Map()));
    const prior = bySeq.get(seq);
    if (prior !== undefined) {
      // Idempotent resend of the same clientMsgId is fine; a second message on one seq is not.
      if (prior !== clientMsgId) {
        this.c.mismatched++;
        this.note(`room ${room} seq ${seq} acked for ${prior} and ${clientMsgId}`);
      }
      return;
    }
    bySeq.set(seq, clientMsgId);
    let seqs = this.ackedSeqs.get(room);
    if (!seqs) this.ackedSeqs.set(room, (seqs = []));
    seqs.push(seq);
    this.ackCount++;
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

  /** From now on, connection `conn` is owed every acked message of `room` with seq > afterSeq. Idempotent per (conn, room). */
  watch(conn: number, room: string, afterSeq: number): void {
    const byConn = this.roomStreams(room);
    if (!byConn.has(conn)) this.addStream(byConn, { conn, room, from: afterSeq, last: afterSeq, seen: new SeqSet() });
  }

  /**
   * One event reached a connection. `live` events must arrive in increasing seq
   * order; backfill (history paged after a gap) is exempt from ordering but not from duplicates.
   * Returns false for a duplicate.
   */
  deliver(conn: number, room: string, seq: number, clientMsgId?: string, live = true): boolean {
    this.deliveries++;
    const byConn = this.roomStreams(room);
    let s = byConn.get(conn);
    if (!s) this.addStream(byConn, (s = { conn, room, from: seq - 1, last: seq - 1, seen: new SeqSet() }));
    if (s.seen.has(seq)) {
      this.c.duplicated++;
      this.note(`conn ${conn} room ${room} seq ${seq} delivered twice`);
      return false;
    }
    s.seen.add(seq);
    if (live) {
      if (seq < s.last) {
        this.c.outOfOrder++;
        this.note(`conn ${conn} room ${room} seq ${seq} arrived after seq ${s.last}`);
      } else s.last = seq;
    }
    const want = this.acked.get(room)?.get(seq);
    if (clientMsgId !== undefined && want !== undefined && want !== clientMsgId) {
      this.c.mismatched++;
      this.note(`conn ${conn} room ${room} seq ${seq} carried ${clientMsgId}, acked as ${want}`);
    }
    return true;
  }

  /** Highest seq a connection has seen in a room (what it would resume `since`). */
  lastSeen(conn: number, room: string): number | undefined {
    return this.streams.get(room)?.get(conn)?.last;
  }

  /** Compares the server's stored log of a room (e.g. from the history API) against what it acked. */
  stored(room: string, events: { seq: number; clientMsgId?: string }[]): void {
    this.storedRooms.add(room);
    const have = new Map(events.map((e) => [e.seq, e.clientMsgId]));
    for (const [seq, id] of this.acked.get(room) ?? []) {
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
    return [...this.ackedSeqs.keys()];
  }

  report(): AuditReport {
    const counts = { ...this.c };
    const examples = [...this.examples];
    const note = (m: string) => examples.length < MAX_EXAMPLES && examples.push(m);
    counts.unacked = this.pending.size;
    for (const id of [...this.pending].slice(0, 3)) note(`send ${id} never answered`);
    for (const s of [...this.streams.values()].flatMap((m) => [...m.values()])) {
      for (const seq of this.ackedSeqs.get(s.room) ?? []) {
        if (seq > s.from && !s.seen.has(seq)) {
          counts.missing++;
          note(`conn ${s.conn} room ${s.room} never got seq ${seq}`);
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
