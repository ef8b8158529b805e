// One benchmark WebSocket client: hello/welcome, sends with acks, event intake, gap backfill, and resume-on-reconnect with backoff.
import type { RoomEvent, ServerFrame } from "../../server/protocol/types";
import type { Stream } from "./audit";
import { DeliveryThrottle, deliveredFrame, Report } from "./delivered";
import { EventFields, readEvent, spanEquals } from "./frame";
import { nowMs } from "./schedule";
import { RawWebSocket } from "./ws";

/** A room of a connection: the resume point, and the audit stream its deliveries are checked against. */
export interface ConnRoom {
  id: string;
  /** Highest live seq: the `since` to resume from. */
  lastSeq: number;
  stream?: Stream;
  /** --delivered: this room's delivery reports. */
  reports?: DeliveryThrottle;
}

/** Scratch fields of the frame being read; frames are handled one at a time, so one is enough per process. */
const fields = new EventFields();
const utf8 = new TextDecoder();

/** What a connection reports to the scenario; one sink is shared by all connections of a run. */
export interface Sink {
  welcome(conn: Conn, rooms: { id: string; lastSeq: number }[], resumed: boolean): void;
  event(conn: Conn, ev: RoomEvent, live: boolean, atMs: number): void;
  /** A live event read without decoding it (frame.ts): its fields are positions in `buf`, valid during the call only; `room.stream` is set. */
  delivery(conn: Conn, room: ConnRoom, f: EventFields, buf: Uint8Array, atMs: number): void;
  ack(conn: Conn, clientMsgId: string, ev: RoomEvent, atMs: number): void;
  reject(conn: Conn, clientMsgId: string, code: string): void;
  /** Sends outstanding when the socket dropped: their fate is unknown. */
  abandon(conn: Conn, clientMsgIds: string[]): void;
}

export interface ConnOptions {
  /** Reconnect with `since` when the socket drops unexpectedly. */
  autoReconnect: boolean;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Report delivery as a real client does (`delivered`, at most once a second per room, the highest seq received; --delivered). */
  delivered?: boolean;
}

export class Conn {
  private ws?: RawWebSocket;
  private readonly pending = new Set<string>();
  private readonly histories = new Map<string, { room: string; toSeq: number }>();
  private nextReq = 0;
  private intentional = false;
  private attempts = 0;
  /** The rooms this connection is in (from its first welcome on), with their resume points. */
  readonly rooms: ConnRoom[] = [];
  open = false;
  welcomes = 0;
  drops = 0;
  /** Connection attempts that closed before a welcome, by close code (1006: refused or reset). */
  readonly failedByCode = new Map<number, number>();

  constructor(readonly idx: number, private readonly wsUrl: string, readonly token: string, private readonly sink: Sink, private readonly opts: ConnOptions) {}

  /** Opens the socket and resolves on welcome (rejects on failure; reconnect logic is separate). */
  connect(): Promise<void> {
    this.intentional = false;
    return new Promise((resolve, reject) => {
      let welcomed = false;
      const ws = new RawWebSocket(this.wsUrl, {
        open: () => {
          const since = this.rooms.length ? Object.fromEntries(this.rooms.map((r) => [r.id, r.lastSeq])) : undefined;
          ws.send(JSON.stringify({ type: "hello", token: this.token, since }));
        },
        text: (buf, start, end) => {
          const at = nowMs();
          // Most frames are live events: read the few fields needed off the raw bytes (frame.ts), parse the rest.
          if (readEvent(buf, start, end, fields)) {
            const room = this.roomAt(buf, fields.roomAt, fields.roomEnd);
            if (room?.stream) {
              if (room.lastSeq < fields.seq) room.lastSeq = fields.seq;
              if (this.opts.delivered) this.reportDelivered(room, fields.seq, at);
              this.sink.delivery(this, room, fields, buf, at);
              return;
            }
          }
          const f = JSON.parse(utf8.decode(buf.subarray(start, end))) as ServerFrame;
          if (f.type === "welcome") {
            const resumed = this.welcomes++ > 0;
            welcomed = true;
            this.open = true;
            this.attempts = 0;
            for (const r of f.rooms) if (!this.room(r.id)) this.rooms.push({ id: r.id, lastSeq: r.lastSeq });
            this.sink.welcome(this, f.rooms, resumed);
            resolve();
          } else this.onFrame(f, at);
        },
        close: (code, reason) => {
          const wasOpen = this.open;
          this.open = false;
          if (this.pending.size) {
            this.sink.abandon(this, [...this.pending]);
            this.pending.clear();
          }
          this.histories.clear();
          if (!welcomed) {
            this.failedByCode.set(code, (this.failedByCode.get(code) ?? 0) + 1);
            reject(new Error(`ws closed before welcome (${code} ${reason})`));
          }
          if (!this.intentional && this.opts.autoReconnect) {
            if (wasOpen) this.drops++;
            this.scheduleReconnect();
          }
        },
      });
      this.ws = ws;
    });
  }

  /** Jittered exponential backoff, so a storm of clients does not reconnect in lockstep. */
  private scheduleReconnect(): void {
    const base = this.opts.backoffBaseMs ?? 100;
    const cap = this.opts.backoffCapMs ?? 2000;
    const delay = Math.min(cap, base * 2 ** this.attempts++) * (0.5 + Math.random() * 0.5);
    setTimeout(() => {
      if (!this.intentional) this.connect().catch(() => {}); // a failed attempt's onclose schedules the next
    }, delay);
  }

  room(id: string): ConnRoom | undefined {
    for (const r of this.rooms) if (r.id === id) return r;
    return undefined;
  }

  /** The room whose id is the ASCII bytes buf[at, end), compared in place (a connection is in one or a few rooms). */
  private roomAt(buf: Uint8Array, at: number, end: number): ConnRoom | undefined {
    for (const r of this.rooms) if (spanEquals(buf, at, end, r.id)) return r;
    return undefined;
  }

  private onFrame(f: ServerFrame, at: number): void {
    switch (f.type) {
      case "event": {
        const ev = f.event;
        let room = this.room(ev.room);
        if (room) {
          if (room.lastSeq < ev.seq) room.lastSeq = ev.seq;
        } else this.rooms.push((room = { id: ev.room, lastSeq: ev.seq }));
        if (this.opts.delivered) this.reportDelivered(room, ev.seq, at);
        this.sink.event(this, ev, true, at);
        break;
      }
      case "ok": {
        if (f.id === undefined) break;
        const h = this.histories.get(f.id);
        if (h) {
          this.histories.delete(f.id);
          this.onHistory(h, f.events ?? [], f.hasMore ?? false, at);
        } else if (this.pending.delete(f.id) && f.event) this.sink.ack(this, f.id, f.event, at);
        break;
      }
      case "error":
        if (f.id !== undefined && this.pending.delete(f.id)) this.sink.reject(this, f.id, f.code);
        break;
      case "gap":
        // The server will not replay [fromSeq, toSeq]; page it in through history (backfill is exempt from live ordering).
        this.requestHistory(f.room, f.fromSeq - 1, f.toSeq);
        break;
      default:
        break; // presence, typing, receipts, pong: not measured
    }
  }

  /** A live event reached this connection: report it now, or once the room's interval is over (DeliveryThrottle). */
  private reportDelivered(room: ConnRoom, seq: number, at: number): void {
    const t = (room.reports ??= new DeliveryThrottle());
    const r = t.received(seq, at);
    if (r === Report.Now) this.sendDelivered(room);
    else if (r === Report.Wake) this.wakeDelivered(room, t);
  }

  private wakeDelivered(room: ConnRoom, t: DeliveryThrottle): void {
    setTimeout(() => {
      const r = t.wake(nowMs());
      if (r === Report.Now) this.sendDelivered(room);
      else if (r === Report.Wake) this.wakeDelivered(room, t);
    }, Math.max(0, t.dueAt - nowMs()));
  }

  /** No request id: a real client's report, answered with nothing (the room's others get a receipt). A closed socket drops it, as a client would. */
  private sendDelivered(room: ConnRoom): void {
    if (this.open && room.reports) this.ws?.send(deliveredFrame(room.id, room.reports.highest));
  }

  private requestHistory(room: string, after: number, toSeq: number): void {
    const id = `h${this.idx}.${this.nextReq++}`;
    this.histories.set(id, { room, toSeq });
    this.ws?.send(JSON.stringify({ type: "history", id, room, after, limit: 200 }));
  }

  private onHistory(h: { room: string; toSeq: number }, events: RoomEvent[], hasMore: boolean, at: number): void {
    let last = 0;
    for (const ev of events) {
      if (ev.seq > h.toSeq) break;
      this.sink.event(this, ev, false, at);
      last = ev.seq;
    }
    if (hasMore && last > 0 && last < h.toSeq) this.requestHistory(h.room, last, h.toSeq);
  }

  /** Sends a message; the clientMsgId doubles as the request id, so the ack names the message. Returns false when not connected. */
  send(room: string, clientMsgId: string, body: string): boolean {
    if (!this.open || !this.ws) return false;
    this.pending.add(clientMsgId);
    this.ws.send(JSON.stringify({ type: "send", id: clientMsgId, room, clientMsgId, body }));
    return true;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  close(): void {
    this.intentional = true;
    this.open = false;
    this.ws?.close(1000);
  }
}

/** ws:// URL of the gateway for an http:// base URL. */
export function wsUrlOf(base: string): string {
  return base.replace(/^http/, "ws") + "/ws";
}
