// The hub: this process's sockets and Bun topics; delivers bus messages in seq order, catches sockets up.

import type { Server, ServerWebSocket } from "bun";
import type { Config } from "../config";
import type { Logger } from "../context";
import type { BusMessage } from "../ports/bus";
import type { Store } from "../ports/store";

export interface SocketData {
  sessionId: string;
  ip: string;
  userId?: string;
  /** Rooms this socket may act in; kept in step with member events. */
  rooms: Set<string>;
  helloTimer?: ReturnType<typeof setTimeout>;
  /** Timestamps (ms) of recently rejected frames, for flood detection. */
  rejected: number[];
  closed?: boolean;
}

export type WS = ServerWebSocket<SocketData>;

/**
 * Per room: the highest seq handed to the local topic. Topics get events strictly in seq order,
 * so a socket that read the store up to `published` and then subscribed has no gap and no duplicate.
 */
interface Head {
  published: number | undefined;
  pending: Map<number, BusMessage>;
  filling: boolean;
}

const PAGE = 500;
/** A burst of at least this many connects/disconnects ends with a garbage collection (see churn()). */
const CHURN_GC_MIN = 256;
const CHURN_SETTLE_MS = 200;
export const roomTopic = (id: string) => "r:" + id;
export const userTopic = (id: string) => "u:" + id;

export class Hub {
  private server?: Server<SocketData>;
  private readonly users = new Map<string, Set<WS>>();
  private readonly heads = new Map<string, Head>();
  /** Per user: member events seen for them, so a hello can tell whether its room list went stale. */
  private readonly memberEpochs = new Map<string, number>();
  private churned = 0;
  private churnTimer?: ReturnType<typeof setTimeout>;

  /** Called once per join this process delivers (presence introduces the newcomer). */
  onJoin: (userId: string, room: string) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly config: Config,
  ) {}

  attach(server: Server<SocketData>) {
    this.server = server;
  }

  get socketCount(): number {
    let n = 0;
    for (const s of this.users.values()) n += s.size;
    return n;
  }

  isOnline(userId: string): boolean {
    return (this.users.get(userId)?.size ?? 0) > 0;
  }

  epoch(userId: string): number {
    return this.memberEpochs.get(userId) ?? 0;
  }

  /**
   * Each hello leaves short-lived garbage (token checks, queries, the welcome); an idle server
   * allocates nothing afterwards, so nothing triggers a collection and RSS stays high. After a
   * burst settles (a reconnect storm, a deploy), one non-blocking collection gives it back.
   */
  private churn() {
    if (++this.churned < CHURN_GC_MIN) return;
    clearTimeout(this.churnTimer);
    this.churnTimer = setTimeout(() => {
      this.churned = 0;
      Bun.gc(true); // a full collection: a few ms on a heap this size, once per burst
    }, CHURN_SETTLE_MS);
    this.churnTimer.unref?.();
  }

  addSocket(ws: WS) {
    this.churn();
    const id = ws.data.userId!;
    let set = this.users.get(id);
    if (!set) this.users.set(id, (set = new Set()));
    set.add(ws);
    ws.subscribe(userTopic(id));
  }

  removeSocket(ws: WS) {
    const id = ws.data.userId;
    if (!id) return;
    this.churn();
    const set = this.users.get(id);
    set?.delete(ws);
    if (set && set.size === 0) this.users.delete(id);
  }

  socketsOf(userId: string): Iterable<WS> {
    return this.users.get(userId) ?? [];
  }

  /** The rooms of a user's open sockets here, each once. */
  roomsOf(userId: string): Set<string> {
    const out = new Set<string>();
    for (const ws of this.socketsOf(userId)) for (const r of ws.data.rooms) out.add(r);
    return out;
  }

  /** Publishes a ready JSON frame to a topic of this process (ephemeral signals, user frames). */
  publishLocal(topic: string, json: string) {
    this.server?.publish(topic, json);
  }

  onBus(msg: BusMessage) {
    if (msg.close && msg.user) return this.closeUser(msg.user, msg.close.code, msg.close.reason);
    if (msg.seq === undefined) {
      this.publishLocal(msg.room !== undefined ? roomTopic(msg.room) : userTopic(msg.user!), msg.json);
      return;
    }
    const head = this.head(msg.room!);
    if (head.published === undefined) head.published = msg.seq - 1; // nobody here has read this room yet
    if (msg.seq <= head.published) return this.memberChange(msg); // a catch-up already sent it from the store
    head.pending.set(msg.seq, msg);
    if (msg.seq === head.published + 1) this.flush(msg.room!, head);
    else if (!head.filling) void this.fill(msg.room!, head);
  }

  private head(room: string): Head {
    let h = this.heads.get(room);
    if (!h) this.heads.set(room, (h = { published: undefined, pending: new Map(), filling: false }));
    return h;
  }

  private flush(room: string, head: Head) {
    for (let m = head.pending.get(head.published! + 1); m; m = head.pending.get(head.published! + 1)) {
      head.pending.delete(m.seq!);
      head.published = m.seq!;
      this.publishLocal(roomTopic(room), m.json);
      this.memberChange(m);
    }
  }

  /** A bus message went missing (or arrived early): read the hole from the store, then go on in order. */
  private async fill(room: string, head: Head) {
    head.filling = true;
    try {
      while (head.pending.size > 0 && !head.pending.has(head.published! + 1)) {
        const page = await this.store.events(room, { after: head.published!, limit: PAGE });
        if (page.events.length === 0) break;
        for (const e of page.events) {
          if (e.seq !== head.published! + 1) break;
          head.pending.set(e.seq, head.pending.get(e.seq) ?? {
            room, seq: e.seq, json: JSON.stringify({ type: "event", event: e }),
            member: e.kind === "member" ? { userId: e.userId, change: e.change } : undefined,
          });
          this.flush(room, head);
        }
      }
      this.flush(room, head);
    } catch (err) {
      this.log.error("hub fill failed", { room, err: String(err) });
    } finally {
      head.filling = false;
    }
  }

  /** Joins subscribe the user's sockets here (caught up from the join on); leaves unsubscribe them. */
  private memberChange(msg: BusMessage) {
    const m = msg.member;
    if (!m) return;
    const room = msg.room!;
    this.memberEpochs.set(m.userId, this.epoch(m.userId) + 1);
    if (m.change === "join" || m.change === "invite") this.onJoin(m.userId, room);
    for (const ws of this.socketsOf(m.userId)) {
      if (m.change === "join" || m.change === "invite") {
        if (!ws.data.rooms.has(room)) void this.catchUp(ws, room, msg.seq! - 1);
      } else if (m.change === "leave" || m.change === "kick" || m.change === "ban") {
        ws.data.rooms.delete(room);
        ws.unsubscribe(roomTopic(room));
      }
    }
  }

  /**
   * Sends `ws` every event of `room` after `since` from the store, then subscribes it to the live topic
   * at exactly the point where the store read ends. With `bound`, more than `bound` missed events
   * start with a `gap` frame for the oldest ones.
   */
  async catchUp(ws: WS, room: string, since: number, bound?: number) {
    ws.data.rooms.add(room);
    const head = this.head(room);
    if (head.published === undefined) {
      const last = await this.store.lastSeq(room);
      if (head.published === undefined) head.published = last;
    }
    if (bound !== undefined && head.published - since > bound) {
      const toSeq = head.published - bound;
      ws.send(JSON.stringify({ type: "gap", room, fromSeq: since + 1, toSeq }));
      since = toSeq;
    }
    while (since < head.published) {
      const page = await this.store.events(room, { after: since, limit: PAGE });
      if (ws.data.closed || !ws.data.rooms.has(room)) return;
      let progressed = false;
      for (const e of page.events) {
        if (e.seq > head.published) break;
        ws.send(JSON.stringify({ type: "event", event: e }));
        since = e.seq;
        progressed = true;
      }
      if (!progressed) {
        this.log.error("catch-up found no stored events below the published head", { room, since, head: head.published });
        break;
      }
    }
    if (!ws.data.closed && ws.data.rooms.has(room)) ws.subscribe(roomTopic(room));
  }

  /** Closes every socket of a user (deactivation, ban from server). */
  closeUser(userId: string, code: number, reason: string) {
    for (const ws of [...this.socketsOf(userId)]) ws.close(code, reason);
  }

  closeAll(code: number, reason: string) {
    for (const set of [...this.users.values()]) for (const ws of [...set]) ws.close(code, reason);
  }
}
