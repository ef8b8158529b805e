// Presence: online/away/dnd/offline per user across every node, coalesced, announced to the rooms they share.

import type { Config } from "../config";
import type { Clock, Logger } from "../ports/runtime";
import type { Bus, PresenceReport } from "../ports/bus";
import type { Store } from "../ports/store";
import type { PresenceInfo, PresenceStatus } from "../protocol/types";
import { presenceFrame, publishPresence, publishRoomSignal, publishUserSignal, type FrameJson } from "./publish";
import { TurnGate } from "./turn-gate";

/** This node's own connections of a user. */
interface Local {
  conns: number;
  chosen: "online" | "away" | "dnd";
  autoAway: boolean;
  lastActive: number;
  lastSeen: number;
  /** What this node last reported for the user; a report goes out only when it changes. */
  reported: PresenceStatus;
  reportedConnected: boolean;
  offlineTimer?: ReturnType<typeof setTimeout>;
  /** Rooms to announce to once the last socket is gone (a copy taken as they close). */
  lastRooms: Set<string>;
}

/** What one node (this one included) says of one user. */
interface Said {
  status: Exclude<PresenceStatus, "offline">;
  connected: boolean;
  lastSeen: number;
  rooms: string[];
  /** When this node last heard it (own reports never expire). */
  at: number;
}

/** The cluster-wide view of one user: every node that holds a connection of theirs. */
interface View {
  by: Map<string, Said>;
  /** What this node's sockets were last told. */
  announced: PresenceStatus;
  /** Rooms to tell when the user goes offline: the union the reports named. */
  rooms: Set<string>;
  lastSeen: number;
}

const SWEEP_MS = 15_000;
const LAST_SEEN_FLUSH_MS = 1_000;
/** Offline announcements per event-loop turn: a few tens of µs each. */
const OFFLINE_PER_TURN = 256;
/**
 * On a bus that can lose messages, each node repeats its whole report this often, and forgets what
 * another node said once it has been silent for NODE_TTL_MS: a crashed node's users go offline after
 * the TTL (never "online forever"), and a lost report heals within one heartbeat.
 */
const HEARTBEAT_MS = 5_000;
const NODE_TTL_MS = 3 * HEARTBEAT_MS;
const RANK: Record<PresenceStatus, number> = { offline: 0, away: 1, online: 2, dnd: 3 };

export interface PresenceDeps {
  bus: Bus;
  store: Store;
  clock: Clock;
  config: Config;
  log: Logger;
  /** Random per process: whose report is whose on the bus. */
  nodeId: string;
  /** The rooms of a user's open sockets on this node (the hub knows them). */
  roomsOf(userId: string): Iterable<string>;
  /** Hands a frame to this node's sockets in a room (the hub's local topic). */
  tellRoom(room: string, json: FrameJson): void;
}

/**
 * Every node keeps the same view: each reports its users' local status on the bus when it changes,
 * and each announces a change of the cluster-wide status (the highest of what nodes say: dnd, online,
 * away, offline) to its own sockets only. So a user who moves from a dead node to another within the
 * TTL, or closes one node's socket while open on another, never flaps to offline.
 *
 * Cost model: a frame costs one Map lookup and a number compare (activity); connect/disconnect are
 * O(1) plus, on a real status change, one bus publish and one local publish per room of that user;
 * an "away" sweep runs every 15 s over this node's users. No database write except lastSeen.
 */
export class Presence {
  private readonly local = new Map<string, Local>();
  private readonly view = new Map<string, View>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private unsaved = new Map<string, number>();
  private flushTimer?: ReturnType<typeof setTimeout>;
  /** Users whose grace period ended, announced offline at most this many per turn (see TurnGate). */
  private readonly offlineGate = new TurnGate(OFFLINE_PER_TURN);

  constructor(private readonly d: PresenceDeps) {
    this.timers.push(setInterval(() => this.sweep(), SWEEP_MS));
    if (d.bus.canLose) {
      this.timers.push(setInterval(() => (this.heartbeat(), this.expire(this.d.clock.now())), HEARTBEAT_MS));
      // A node that starts (or whose bus comes back) asks the others for their whole reports.
      d.bus.onReconnect(() => this.heartbeat(true));
      queueMicrotask(() => this.heartbeat(true));
    }
    for (const t of this.timers) t.unref?.();
  }

  private state(userId: string): Local {
    let s = this.local.get(userId);
    if (!s) {
      const now = this.d.clock.now();
      this.local.set(userId, (s = { conns: 0, chosen: "online", autoAway: false, lastActive: now, lastSeen: now, reported: "offline", reportedConnected: false, lastRooms: new Set() }));
    }
    return s;
  }

  /** This node's own opinion of the user. */
  private effective(s: Local): PresenceStatus {
    if (s.conns === 0 && s.offlineTimer === undefined) return "offline";
    if (s.chosen === "dnd") return "dnd";
    return s.chosen === "away" || s.autoAway ? "away" : "online";
  }

  of(userId: string): PresenceInfo {
    const v = this.view.get(userId);
    if (!v) return { userId, status: "offline", lastSeen: 0 };
    let status: PresenceStatus = "offline";
    for (const said of v.by.values()) if (RANK[said.status] > RANK[status]) status = said.status;
    return { userId, status, lastSeen: v.lastSeen };
  }

  /**
   * Whether a socket of the user is open on any node. Unlike `of()`, false during the grace after the
   * last socket closed: a notification then goes out as Web Push rather than to a tab that is gone.
   */
  hasConnection(userId: string): boolean {
    if ((this.local.get(userId)?.conns ?? 0) > 0) return true;
    for (const [node, said] of this.view.get(userId)?.by ?? []) if (node !== this.d.nodeId && said.connected) return true;
    return false;
  }

  /** Everyone in `userIds` who is not offline (for welcome). */
  snapshot(userIds: Iterable<string>): PresenceInfo[] {
    const out: PresenceInfo[] = [];
    for (const id of userIds) {
      const p = this.of(id);
      if (p.status !== "offline") out.push(p);
    }
    return out;
  }

  connected(userId: string) {
    const s = this.state(userId);
    s.conns++;
    s.lastRooms = new Set();
    clearTimeout(s.offlineTimer);
    s.offlineTimer = undefined;
    this.activity(userId);
    this.report(userId, s);
  }

  /** The last connection closing starts a grace period, so a flapping connection announces nothing. */
  disconnected(userId: string, rooms: Set<string>) {
    const s = this.local.get(userId);
    if (!s) return;
    s.conns = Math.max(0, s.conns - 1);
    for (const r of rooms) s.lastRooms.add(r);
    if (s.conns > 0) return;
    clearTimeout(s.offlineTimer);
    const timer: ReturnType<typeof setTimeout> = setTimeout(() => {
      // Thousands who left together (a proxy restarting) would all go offline in one turn of the
      // event loop (45-49 ms for 10,000 with nobody listening, more with listeners): a slice per turn instead.
      const wait = this.offlineGate.enter();
      if (wait) void wait.then(() => this.wentOffline(userId, s, timer));
      else this.wentOffline(userId, s, timer);
    }, this.d.config.presenceGraceMs);
    s.offlineTimer = timer;
    this.report(userId, s); // still online, no longer connected: other nodes' push checks need that
  }

  /** The grace period of `timer` ended: offline, unless the user came back (or left again: a newer timer) meanwhile. */
  private wentOffline(userId: string, s: Local, timer: ReturnType<typeof setTimeout>) {
    if (s.offlineTimer !== timer) return;
    s.offlineTimer = undefined;
    if (s.conns > 0) return;
    s.lastSeen = this.d.clock.now();
    s.chosen = "online";
    s.autoAway = false;
    this.report(userId, s);
    this.saveLastSeen(userId, s.lastSeen);
  }

  /** Written in one statement per second at most, however many users went offline. */
  private saveLastSeen(userId: string, at: number) {
    this.unsaved.set(userId, at);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const batch = this.unsaved;
      this.unsaved = new Map();
      this.d.store.setLastSeen(batch).catch((e) => this.d.log.warn("lastSeen write failed", { err: String(e), users: batch.size }));
    }, LAST_SEEN_FLUSH_MS);
  }

  /** Any frame but a heartbeat counts as activity. */
  activity(userId: string) {
    const s = this.local.get(userId);
    if (!s) return;
    const now = this.d.clock.now();
    s.lastActive = s.lastSeen = now;
    if (s.autoAway) {
      s.autoAway = false;
      this.report(userId, s);
    }
  }

  set(userId: string, status: "online" | "away" | "dnd") {
    const s = this.state(userId);
    s.chosen = status;
    s.autoAway = false;
    this.report(userId, s);
  }

  /** Users idle past awayAfterMs become away; silent nodes are forgotten. Public so tests can drive it with an injected clock. */
  sweep() {
    const now = this.d.clock.now();
    const cutoff = now - this.d.config.awayAfterMs;
    for (const [id, s] of this.local) {
      if (s.conns > 0 && !s.autoAway && s.lastActive < cutoff) {
        s.autoAway = true;
        this.report(id, s);
      } else if (s.conns === 0 && s.offlineTimer === undefined && s.reported === "offline") this.local.delete(id);
    }
    this.expire(now);
  }

  /** Forgets what silent nodes said (killed, or cut off from the bus): their users go offline here. */
  private expire(now: number) {
    for (const [user, v] of this.view) {
      let changed = false;
      for (const [node, said] of v.by) if (node !== this.d.nodeId && now - said.at > NODE_TTL_MS) changed = v.by.delete(node);
      if (changed) this.settle(user, v);
    }
  }

  /**
   * Someone joined a room: the room hears their status (if they are not offline), and they hear
   * the status of the room's members who are around. Welcome covers only rooms held at hello.
   */
  async joined(userId: string, room: string) {
    const me = this.of(userId);
    if (me.status !== "offline") publishRoomSignal(this.d.bus, room, presenceFrame(me));
    if ((this.local.get(userId)?.conns ?? 0) === 0) return;
    for (const m of await this.d.store.members(room)) {
      const p = this.of(m.userId);
      if (m.userId !== userId && p.status !== "offline") publishUserSignal(this.d.bus, userId, presenceFrame(p));
    }
  }

  /** Another node's report (the hub hands over every `presence` bus message). */
  onReport(node: string, full: boolean, ask: boolean, users: PresenceReport[]) {
    if (node === this.d.nodeId) return;
    const now = this.d.clock.now();
    const named = new Set<string>();
    for (const r of users) {
      named.add(r.userId);
      this.apply(node, r, now);
    }
    if (full) {
      // A whole report: users it no longer names have left that node.
      for (const [user, v] of this.view) {
        if (!named.has(user) && v.by.delete(node)) this.settle(user, v);
      }
    }
    if (ask) this.heartbeat();
  }

  /** This node's opinion of a local user changed: record it, tell the other nodes, tell our sockets. */
  private report(userId: string, s: Local) {
    const status = this.effective(s);
    const connected = s.conns > 0;
    if (status === s.reported && connected === s.reportedConnected) return;
    s.reported = status;
    s.reportedConnected = connected;
    const r = this.reportOf(userId, s, status);
    this.apply(this.d.nodeId, r, this.d.clock.now());
    publishPresence(this.d.bus, this.d.nodeId, [r]);
  }

  private reportOf(userId: string, s: Local, status = this.effective(s)): PresenceReport {
    return { userId, status, connected: s.conns > 0, lastSeen: s.lastSeen, rooms: [...(s.conns > 0 ? this.d.roomsOf(userId) : s.lastRooms)] };
  }

  private apply(node: string, r: PresenceReport, now: number) {
    let v = this.view.get(r.userId);
    if (!v) {
      if (r.status === "offline") return;
      this.view.set(r.userId, (v = { by: new Map(), announced: "offline", rooms: new Set(), lastSeen: 0 }));
    }
    for (const room of r.rooms) v.rooms.add(room);
    v.lastSeen = Math.max(v.lastSeen, r.lastSeen);
    if (r.status === "offline") v.by.delete(node);
    else v.by.set(node, { status: r.status, connected: r.connected === true, lastSeen: r.lastSeen, rooms: r.rooms, at: now });
    this.settle(r.userId, v);
  }

  /** Announces a change of the cluster-wide status to this node's sockets; forgets users gone offline. */
  private settle(userId: string, v: View) {
    const p = this.of(userId);
    if (p.status !== v.announced) {
      v.announced = p.status;
      const json = presenceFrame(p);
      for (const room of v.rooms) this.d.tellRoom(room, json);
    }
    if (v.by.size === 0) this.view.delete(userId);
    else {
      // Rooms of the nodes still holding the user: a room they left no longer hears them.
      v.rooms = new Set([...v.by.values()].flatMap((s) => s.rooms));
    }
  }

  /** Every local user this node holds, as one report; `ask` makes the other nodes answer with theirs. */
  private heartbeat(ask = false) {
    const users: PresenceReport[] = [];
    for (const [id, s] of this.local) if (s.reported !== "offline") users.push(this.reportOf(id, s, s.reported));
    publishPresence(this.d.bus, this.d.nodeId, users, { full: true, ask });
  }

  close() {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.flushTimer);
    if (this.unsaved.size) void this.d.store.setLastSeen(this.unsaved).catch(() => undefined);
    for (const s of this.local.values()) clearTimeout(s.offlineTimer);
  }
}
