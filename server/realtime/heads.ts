// Room heads: per room watched on this node, the seq handed to the local topic; in-order delivery, holes filled from the store.

import type { Bus, BusMessage } from "../ports/bus";
import type { Logger } from "../ports/runtime";
import type { Store } from "../ports/store";
import { storedEventFrame } from "./publish";

export type EventMessage = Extract<BusMessage, { kind: "event" }>;

/**
 * One watched room. Topics get events strictly in seq order, so a socket that read the store up to
 * `published` and then subscribed has no gap and no duplicate.
 */
export interface Head {
  /** Local sockets in the room (their `rooms` hold it): the room is watched on the bus while > 0. */
  sockets: number;
  /** Settles with true once the bus confirmed the watch (false: it failed). */
  watched: Promise<boolean>;
  confirmed: boolean;
  /** A catch-up read the store before the watch was confirmed: check the room once it is. */
  readEarly: boolean;
  /** The highest seq handed to the topic; undefined until someone here read the room or an event came. */
  published: number | undefined;
  pending: Map<number, EventMessage>;
  /** The highest seq the store is known to hold (a check found it): filled up to here with no later bus message. */
  known: number;
  filling: boolean;
  holeTimer?: ReturnType<typeof setTimeout>;
  /** Member events already acted on: one that arrives twice (bus after store, two channels) acts once. */
  members: Set<number>;
}

const PAGE = 500;
/**
 * Events of one room published by different nodes can arrive out of order by a few ms: waiting this
 * long before reading a hole from the store lets the bus fill it itself, instead of a store read per
 * reordering. The in-process bus never reorders, so the single binary never waits.
 */
const HOLE_WAIT_MS = 50;
const MEMBER_SEQS_KEPT = 64;

export class RoomHeads {
  private readonly heads = new Map<string, Head>();
  private checking = false;

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly to: {
      /** A ready frame for the room's local topic. */
      topic(room: string, json: string): void;
      /** A member event this node acts on (once per seq while the room is watched). */
      member(msg: EventMessage): void;
      /** A fill read `events` missing events from the store (metrics). */
      filled(events: number): void;
    },
  ) {}

  get(room: string): Head | undefined {
    return this.heads.get(room);
  }

  /** One more local socket in the room; the first starts watching it on the bus. */
  acquire(room: string): Head {
    let h = this.heads.get(room);
    if (!h) {
      const head: Head = (h = { sockets: 0, watched: undefined!, confirmed: false, readEarly: false, published: undefined, pending: new Map(), known: 0, filling: false, members: new Set() });
      this.heads.set(room, head);
      head.watched = this.bus.watchRoom(room).then(
        () => {
          head.confirmed = true;
          if (head.readEarly && this.heads.get(room) === head) void this.checkRoom(room);
          return true;
        },
        (err) => {
          this.log.warn("hub: watching a room failed; the next check fills it from the store", { room, err: String(err) });
          return false;
        },
      );
    }
    h.sockets++;
    return h;
  }

  /** One local socket fewer; the last one stops the watch (and forgets the head: it would go stale). */
  release(room: string) {
    const h = this.heads.get(room);
    if (!h || --h.sockets > 0) return;
    this.heads.delete(room);
    clearTimeout(h.holeTimer);
    this.bus.unwatchRoom(room);
  }

  /** Marks a member event as acted on; false if it already was. */
  firstTime(head: Head, seq: number): boolean {
    if (head.members.has(seq)) return false;
    head.members.add(seq);
    if (head.members.size > MEMBER_SEQS_KEPT) head.members.delete(head.members.values().next().value!);
    return true;
  }

  /** A stored event from the bus. Returns false when the room is not watched here (no head). */
  onEvent(msg: EventMessage): boolean {
    const head = this.heads.get(msg.room);
    if (!head) return false;
    if (head.published === undefined) head.published = msg.seq - 1; // nobody here has read this room yet
    if (msg.seq <= head.published) {
      // A catch-up or a fill already sent it from the store; its member change may still be due here.
      if (msg.member && this.firstTime(head, msg.seq)) this.to.member(msg);
      return true;
    }
    head.pending.set(msg.seq, msg);
    if (msg.seq === head.published + 1) this.flush(msg.room, head);
    else if (!head.filling && !head.holeTimer) {
      head.holeTimer = setTimeout(() => {
        head.holeTimer = undefined;
        if (this.heads.get(msg.room) === head) void this.fill(msg.room, head);
      }, HOLE_WAIT_MS);
    }
    return true;
  }

  private flush(room: string, head: Head) {
    for (let m = head.pending.get(head.published! + 1); m; m = head.pending.get(head.published! + 1)) {
      head.pending.delete(m.seq);
      head.published = m.seq;
      this.to.topic(room, m.json);
      if (m.member && this.firstTime(head, m.seq)) this.to.member(m);
    }
  }

  /** Reads what the bus did not bring (a hole before a pending event, or up to `known`) from the store, in order. */
  private async fill(room: string, head: Head) {
    if (head.filling) return;
    head.filling = true;
    let read = 0;
    try {
      const behind = () => head.published! < head.known || (head.pending.size > 0 && !head.pending.has(head.published! + 1));
      while (this.heads.get(room) === head && behind()) {
        const from = head.published!;
        const page = await this.store.events(room, { after: from, limit: PAGE });
        if (this.heads.get(room) !== head) return;
        for (const e of page.events) {
          if (e.seq <= head.published!) continue;
          if (e.seq !== head.published! + 1) break;
          if (!head.pending.has(e.seq)) {
            const json = storedEventFrame(e);
            head.pending.set(e.seq, e.kind === "member" ? { kind: "event", room, seq: e.seq, member: { userId: e.userId, change: e.change }, json } : { kind: "event", room, seq: e.seq, json });
            read++;
          }
          this.flush(room, head);
        }
        if (head.published === from) break; // nothing newer in the store: stop rather than spin
      }
      this.flush(room, head);
    } catch (err) {
      this.log.error("hub fill failed", { room, err: String(err) });
    } finally {
      head.filling = false;
      if (read > 0) this.to.filled(read);
    }
  }

  /** Compares one watched room with the store and fills what this node has not published. */
  async checkRoom(room: string) {
    const head = this.heads.get(room);
    if (!head || head.published === undefined) return; // not read yet: its catch-up reads the store
    const last = await this.store.lastSeq(room);
    if (this.heads.get(room) !== head) return;
    if (last > head.known) head.known = last;
    if (last > head.published) await this.fill(room, head);
  }

  /** Every watched room, one after the other (a burst of reads would compete with the writer). */
  async checkAll() {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const room of [...this.heads.keys()]) {
        await this.checkRoom(room).catch((err) => this.log.warn("hub: checking a room failed", { room, err: String(err) }));
      }
    } finally {
      this.checking = false;
    }
  }

  close() {
    for (const h of this.heads.values()) clearTimeout(h.holeTimer);
  }
}
