// The hub: this process's sockets and Bun topics; watches on the bus what they need, delivers in seq order, catches sockets up.

import type { Server, ServerWebSocket } from "bun";
import type { Config } from "../config";
import type { Logger } from "../ports/runtime";
import type { Bus, BusMessage } from "../ports/bus";
import type { Store } from "../ports/store";
import { CLOSE } from "../protocol/types";
import type { CountBy, Metrics } from "../metrics";
import { RoomHeads, type EventMessage, type Head } from "./heads";
import { frameTypeOf, gapFrame, SERVER_FRAME_TYPES, storedEventFrame, type FrameJson } from "./publish";

export interface SocketData {
  sessionId: string;
  ip: string;
  userId?: string;
  /** The login session (refresh-token family) whose access token opened this socket; ending it closes the socket. */
  authSession?: string;
  /** Rooms this socket may act in; kept in step with member events. */
  rooms: Set<string>;
  helloTimer?: ReturnType<typeof setTimeout>;
  /** Timestamps (ms) of recently rejected frames, for flood detection. */
  rejected: number[];
  closed?: boolean;
}

export type WS = ServerWebSocket<SocketData>;

const PAGE = 500;
/** A burst of at least this many connects/disconnects ends with a garbage collection (see churn()). */
const CHURN_GC_MIN = 256;
const CHURN_SETTLE_MS = 200;
/**
 * A shrink drops all compiled code, which then compiles again (~0.1 s of CPU under load): on a server
 * with messages flowing and steady churn (a burst's worth of reconnects every few seconds) it is done at
 * most this often, a collection otherwise. A burst that settles with no message flowing always gets one.
 */
const SHRINK_MIN_INTERVAL_MS = 10 * 60_000;
/**
 * How long a catch-up waits for the bus to confirm a watch before reading the store anyway. Only an
 * outage takes this long; the client then gets its history at once, and what it missed meanwhile
 * comes with the check that the confirmation (or the reconnect) triggers.
 */
const WATCH_WAIT_MS = 2_000;
/**
 * Network buses only: how often each watched room's stored head is compared with what was published
 * here. A hole is otherwise noticed only when a later event of the room arrives, so a lost last
 * message of a quiet room would wait forever. Reconnects trigger the same check at once; this catches
 * losses no reconnect announces. Cost: one indexed lastSeq read per watched room per period.
 */
const CHECK_EVERY_MS = 20_000;
export const roomTopic = (id: string) => "r:" + id;
export const userTopic = (id: string) => "u:" + id;

export class Hub {
  private server?: Server<SocketData>;
  private readonly users = new Map<string, Set<WS>>();
  private readonly heads: RoomHeads;
  /** Users watched on the bus: one reference per socket from its hello on. */
  private readonly watchedUsers = new Map<string, { refs: number; watched: Promise<boolean> }>();
  /** Per user: member events seen for them, so a hello can tell whether its room list went stale. */
  private readonly memberEpochs = new Map<string, number>();
  private readonly policyListeners: ((room: string) => void)[] = [];
  private readonly presenceListeners: ((msg: Extract<BusMessage, { kind: "presence" }>) => void)[] = [];
  private readonly endedListeners: ((sessions: string[]) => void)[] = [];
  private readonly checkTimer?: ReturnType<typeof setInterval>;
  private churned = 0;
  private churnTimer?: ReturnType<typeof setTimeout>;
  /** Room events that reached this node's hub: a burst that settles without one settles on a quiet server. */
  private events = 0;
  private shrunkAt = -Infinity;
  private readonly framesOut: CountBy;

  /** Called once per join this process delivers (presence introduces the newcomer). */
  onJoin: (userId: string, room: string) => void = () => {};
  /** Called when a send leaves more than --ws-backlog queued for the socket (the gateway closes it). */
  onBacklog: (ws: WS) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly config: Config,
    metrics: Metrics,
  ) {
    this.framesOut = metrics.counter("parley_ws_frames_out_total", "frames handed to sockets, by type (a topic publish counts once per subscribed socket)", "type", SERVER_FRAME_TYPES);
    const fills = metrics.count("parley_hole_fills_total", "holes in a room's event stream filled from the store");
    const filledEvents = metrics.count("parley_hole_filled_events_total", "events read from the store to fill holes");
    this.heads = new RoomHeads(store, bus, log, {
      topic: (room, json) => this.publishLocal(roomTopic(room), json),
      member: (m) => this.memberChange(m),
      filled: (events) => (fills(), filledEvents(events)),
    });
    bus.subscribe((m) => this.onBus(m));
    if (bus.canLose) {
      bus.onReconnect(() => void this.resync());
      this.checkTimer = setInterval(() => void this.heads.checkAll(), CHECK_EVERY_MS);
      this.checkTimer.unref?.();
    }
  }

  attach(server: Server<SocketData>) {
    this.server = server;
  }

  /** Stops the periodic check (the bus is closed separately). */
  close() {
    clearInterval(this.checkTimer);
    this.heads.close();
  }

  /** The highest seq this node handed to its sockets in the room; undefined when no socket here is in it. */
  publishedSeq(room: string): number | undefined {
    return this.heads.get(room)?.published;
  }

  /** Distinct users with an authenticated socket here. */
  get userCount(): number {
    return this.users.size;
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

  /** `fn` gets every node's presence reports (realtime/presence.ts keeps the cluster's view). */
  onPresence(fn: (msg: Extract<BusMessage, { kind: "presence" }>) => void) {
    this.presenceListeners.push(fn);
  }

  /** `fn(sessions)` runs on this node whenever any node ended sessions, before their sockets here close. */
  onSessionsEnded(fn: (sessions: string[]) => void) {
    this.endedListeners.push(fn);
  }

  /** `fn(room)` runs on this node whenever any node changed the room's send policy. */
  onPolicyChange(fn: (room: string) => void) {
    this.policyListeners.push(fn);
  }

  /**
   * Each hello leaves short-lived garbage (token checks, queries, the welcome); an idle server
   * allocates nothing afterwards, so nothing triggers a collection and RSS stays high. After a
   * burst settles (a reconnect storm, a deploy), a shrink gives it back: the 10,000 hellos after a
   * restart settle at 136-137 MiB where a full collection alone (`Bun.gc(true)`) left 150-153.
   * Later bursts within SHRINK_MIN_INTERVAL_MS get the collection only, unless no room event came
   * through while the burst settled: on a quiet server the recompiling costs nothing that matters, and
   * without it RSS with everyone connected creeps up from one burst to the next (docs/benchmarks.md,
   * "P3's drift and the shrink").
   */
  private churn() {
    if (++this.churned < CHURN_GC_MIN) return;
    clearTimeout(this.churnTimer);
    const events = this.events;
    this.churnTimer = setTimeout(() => {
      this.churned = 0;
      const now = performance.now();
      const quiet = this.events === events;
      if (!quiet && now - this.shrunkAt < SHRINK_MIN_INTERVAL_MS) return Bun.gc(true); // a full collection, ~50 ms
      this.shrunkAt = now;
      Bun.shrink(); // compiled code dropped, a full collection, free memory returned to the OS: ~50 ms
    }, CHURN_SETTLE_MS);
    this.churnTimer.unref?.();
  }

  /**
   * Starts receiving the user's messages from every node; call at hello BEFORE reading their rooms, so
   * a member event published after the read cannot be missed. Each call needs one unwatchUser.
   */
  async watchUser(userId: string): Promise<void> {
    let w = this.watchedUsers.get(userId);
    if (!w) this.watchedUsers.set(userId, (w = { refs: 0, watched: this.bus.watchUser(userId).then(() => true, () => false) }));
    w.refs++;
    if (this.bus.canLose) await this.within(w.watched);
  }

  unwatchUser(userId: string) {
    const w = this.watchedUsers.get(userId);
    if (!w || --w.refs > 0) return;
    this.watchedUsers.delete(userId);
    this.bus.unwatchUser(userId);
  }

  addSocket(ws: WS) {
    this.churn();
    const id = ws.data.userId!;
    let set = this.users.get(id);
    if (!set) this.users.set(id, (set = new Set()));
    set.add(ws);
    ws.subscribe(userTopic(id));
  }

  /** A closed socket: its rooms stay in `ws.data.rooms` (presence reads them), but no longer count here. */
  removeSocket(ws: WS) {
    const id = ws.data.userId;
    if (!id) return;
    this.churn();
    const set = this.users.get(id);
    set?.delete(ws);
    if (set && set.size === 0) this.users.delete(id);
    for (const room of ws.data.rooms) this.heads.release(room);
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

  /** Publishes a ready JSON frame to a topic of this process. */
  publishLocal(topic: string, json: string) {
    if (!this.server) return;
    const sockets = this.server.subscriberCount(topic);
    if (sockets === 0) return; // the in-process bus hands every event here, watched or not
    this.framesOut(frameTypeOf(json), sockets);
    this.server.publish(topic, json);
  }

  /** Sends one frame to one socket: every frame for a single socket goes out here (counted by type). */
  send(ws: WS, json: FrameJson) {
    this.framesOut(frameTypeOf(json));
    const sent = ws.send(json);
    // -1: queued behind a backlog (rare; one compare otherwise). Topic publishes are checked by the gateway's sweep.
    if (sent === -1 && ws.getBufferedAmount() > this.config.wsBacklogBytes) this.onBacklog(ws);
    return sent;
  }

  onBus(msg: BusMessage) {
    switch (msg.kind) {
      case "event":
        this.events++;
        if (!this.heads.onEvent(msg)) this.memberChange(msg); // no socket here in that room: only a member change matters
        return;
      case "room":
        return this.publishLocal(roomTopic(msg.room), msg.json);
      case "user":
        return this.publishLocal(userTopic(msg.user), msg.json);
      case "close":
        return this.closeUser(msg.user, msg.code, msg.reason);
      case "policy":
        for (const fn of this.policyListeners) fn(msg.room);
        return;
      case "ended": {
        for (const fn of this.endedListeners) fn(msg.sessions);
        const ended = new Set(msg.sessions);
        for (const ws of [...this.socketsOf(msg.user)]) if (ws.data.authSession && ended.has(ws.data.authSession)) ws.close(CLOSE.UNAUTHENTICATED, "session ended");
        return;
      }
      case "presence":
        for (const fn of this.presenceListeners) fn(msg);
        return;
    }
  }

  /** Joins subscribe the user's sockets here (caught up from the join on); leaves unsubscribe them. */
  private memberChange(msg: EventMessage) {
    const m = msg.member;
    if (!m) return;
    const room = msg.room;
    this.memberEpochs.set(m.userId, this.epoch(m.userId) + 1);
    const joined = m.change === "join" || m.change === "invite";
    if (joined) this.onJoin(m.userId, room);
    for (const ws of this.socketsOf(m.userId)) {
      if (joined) {
        if (!ws.data.rooms.has(room)) void this.catchUp(ws, room, msg.seq - 1);
      } else if (m.change === "leave" || m.change === "kick" || m.change === "ban") this.leaveRoom(ws, room);
    }
    // A head the catch-up just made must not act on this event again when the room's copy arrives.
    const head = this.heads.get(room);
    if (head) this.heads.firstTime(head, msg.seq);
  }

  private leaveRoom(ws: WS, room: string) {
    if (!ws.data.rooms.delete(room)) return;
    ws.unsubscribe(roomTopic(room));
    this.heads.release(room);
  }

  /** Waits for a watch confirmation, at most WATCH_WAIT_MS; false when it did not come (in time). */
  private async within(watched: Promise<boolean>): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((res) => (timer = setTimeout(() => res(false), WATCH_WAIT_MS)));
    try {
      return await Promise.race([watched, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `ws` every event of `room` after `since` from the store, then subscribes it to the live topic
   * at exactly the point where the store read ends. The room is watched on the bus (confirmed) before
   * the store is read, so nothing published in between is missed. With `bound`, more than `bound`
   * missed events start with a `gap` frame for the oldest ones.
   */
  async catchUp(ws: WS, room: string, since: number, bound?: number) {
    if (ws.data.closed) return;
    let head: Head | undefined = this.heads.get(room);
    if (!ws.data.rooms.has(room)) {
      ws.data.rooms.add(room);
      head = this.heads.acquire(room);
    }
    if (this.bus.canLose && head && !head.confirmed && !(await this.within(head.watched))) head.readEarly = true;
    if (ws.data.closed || !ws.data.rooms.has(room)) return;
    head = this.heads.get(room)!;
    if (head.published === undefined) {
      const last = await this.store.lastSeq(room);
      head = this.heads.get(room);
      if (!head) return; // everyone here left meanwhile
      if (head.published === undefined) head.published = last;
    }
    if (bound !== undefined && head.published! - since > bound) {
      const toSeq = head.published! - bound;
      this.send(ws, gapFrame(room, since + 1, toSeq));
      since = toSeq;
    }
    /** This user's own last membership change in what was read: a removal the bus may not act on here. */
    let removed = false;
    while (since < head.published!) {
      const page = await this.store.events(room, { after: since, limit: PAGE });
      if (ws.data.closed || !ws.data.rooms.has(room)) return;
      head = this.heads.get(room)!;
      let progressed = false;
      for (const e of page.events) {
        if (e.seq > head.published!) break;
        this.send(ws, storedEventFrame(e));
        since = e.seq;
        progressed = true;
        if (e.kind === "member" && e.userId === ws.data.userId) removed = e.change === "leave" || e.change === "kick" || e.change === "ban";
      }
      if (!progressed) {
        this.log.error("catch-up found no stored events below the published head", { room, since, head: head.published });
        break;
      }
    }
    // A join and a removal published by two nodes can cross on the bus: the store read decides.
    if (removed) return this.leaveRoom(ws, room);
    if (!ws.data.closed && ws.data.rooms.has(room)) ws.subscribe(roomTopic(room));
  }

  /**
   * After a bus outage: every watched room against the store (holes, quiet rooms), then every local
   * user against their stored memberships and account (joins in rooms not watched here and
   * deactivations travel on user channels, which no room check repairs).
   */
  async resync() {
    await this.heads.checkAll();
    for (const userId of [...this.users.keys()]) {
      try {
        const [user, rooms] = await Promise.all([this.store.userById(userId), this.store.roomsOf(userId)]);
        if (!user || user.deactivatedAt) {
          this.closeUser(userId, CLOSE.BANNED, "account deactivated");
          continue;
        }
        for (const ws of this.socketsOf(userId)) {
          for (const r of rooms) if (!ws.data.rooms.has(r.id) && !ws.data.closed) void this.catchUp(ws, r.id, Math.max(0, r.readSeq - 1));
        }
      } catch (err) {
        this.log.warn("hub: resync of a user failed", { userId, err: String(err) });
      }
    }
  }

  /** Closes every socket of a user (deactivation, ban from server). */
  closeUser(userId: string, code: number, reason: string) {
    for (const ws of [...this.socketsOf(userId)]) ws.close(code, reason);
  }

  closeAll(code: number, reason: string) {
    for (const set of [...this.users.values()]) for (const ws of [...set]) ws.close(code, reason);
  }
}
