// Presence: online/away/dnd/offline per user, in memory, coalesced, announced to the rooms they share.

import type { Config } from "../config";
import type { Clock, Logger } from "../ports/runtime";
import type { Bus } from "../ports/bus";
import type { Store } from "../ports/store";
import type { PresenceInfo, PresenceStatus } from "../protocol/types";
import { presenceFrame, publishRoomSignal, publishUserSignal } from "./publish";

interface State {
  conns: number;
  chosen: "online" | "away" | "dnd";
  autoAway: boolean;
  lastActive: number;
  lastSeen: number;
  /** What the audience was last told; announcements happen only when the effective status changes. */
  announced: PresenceStatus;
  offlineTimer?: ReturnType<typeof setTimeout>;
  /** Rooms to announce to once the last socket is gone (a copy taken as they close). */
  lastRooms: Set<string>;
}

const SWEEP_MS = 15_000;
const LAST_SEEN_FLUSH_MS = 1_000;

/**
 * Cost model: a frame costs one Map lookup and a number compare (activity); connect/disconnect
 * are O(1) plus, on a real status change, one publish per room of that user; an "away" sweep runs
 * every 15 s over the online users only. No database write except lastSeen when going offline.
 */
export class Presence {
  private readonly users = new Map<string, State>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  private unsaved = new Map<string, number>();
  private flushTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: Config,
    private readonly log: Logger,
    /** The rooms of a user's open sockets (the hub knows them). */
    private readonly roomsOf: (userId: string) => Iterable<string>,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref?.();
  }

  private state(userId: string): State {
    let s = this.users.get(userId);
    if (!s) {
      const now = this.clock.now();
      this.users.set(userId, (s = { conns: 0, chosen: "online", autoAway: false, lastActive: now, lastSeen: now, announced: "offline", lastRooms: new Set() }));
    }
    return s;
  }

  private effective(s: State): PresenceStatus {
    if (s.conns === 0 && s.offlineTimer === undefined) return "offline";
    if (s.chosen === "dnd") return "dnd";
    return s.chosen === "away" || s.autoAway ? "away" : "online";
  }

  of(userId: string): PresenceInfo {
    const s = this.users.get(userId);
    return { userId, status: s ? this.effective(s) : "offline", lastSeen: s?.lastSeen ?? 0 };
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
    this.announce(userId, s);
  }

  /** The last connection closing starts a grace period, so a flapping connection announces nothing. */
  disconnected(userId: string, rooms: Set<string>) {
    const s = this.users.get(userId);
    if (!s) return;
    s.conns = Math.max(0, s.conns - 1);
    for (const r of rooms) s.lastRooms.add(r);
    if (s.conns > 0) return;
    clearTimeout(s.offlineTimer);
    s.offlineTimer = setTimeout(() => {
      s.offlineTimer = undefined;
      if (s.conns > 0) return;
      s.lastSeen = this.clock.now();
      s.chosen = "online";
      s.autoAway = false;
      this.announce(userId, s);
      this.saveLastSeen(userId, s.lastSeen);
    }, this.config.presenceGraceMs);
  }

  /** Written in one statement per second at most, however many users went offline. */
  private saveLastSeen(userId: string, at: number) {
    this.unsaved.set(userId, at);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const batch = this.unsaved;
      this.unsaved = new Map();
      this.store.setLastSeen(batch).catch((e) => this.log.warn("lastSeen write failed", { err: String(e), users: batch.size }));
    }, LAST_SEEN_FLUSH_MS);
  }

  /** Any frame but a heartbeat counts as activity. */
  activity(userId: string) {
    const s = this.users.get(userId);
    if (!s) return;
    const now = this.clock.now();
    s.lastActive = s.lastSeen = now;
    if (s.autoAway) {
      s.autoAway = false;
      this.announce(userId, s);
    }
  }

  set(userId: string, status: "online" | "away" | "dnd") {
    const s = this.state(userId);
    s.chosen = status;
    s.autoAway = false;
    this.announce(userId, s);
  }

  /** Users idle past awayAfterMs become away. Public so tests can drive it with an injected clock. */
  sweep() {
    const cutoff = this.clock.now() - this.config.awayAfterMs;
    for (const [id, s] of this.users) {
      if (s.conns > 0 && !s.autoAway && s.lastActive < cutoff) {
        s.autoAway = true;
        this.announce(id, s);
      } else if (s.conns === 0 && s.offlineTimer === undefined && s.announced === "offline") this.users.delete(id);
    }
  }

  /**
   * Someone joined a room: the room hears their status (if they are not offline), and they hear
   * the status of the room's members who are around. Welcome covers only rooms held at hello.
   */
  async joined(userId: string, room: string) {
    const s = this.users.get(userId);
    const me = this.of(userId);
    if (me.status !== "offline") publishRoomSignal(this.bus, room, presenceFrame(me));
    if (!s || s.conns === 0) return;
    for (const m of await this.store.members(room)) {
      const p = this.of(m.userId);
      if (m.userId !== userId && p.status !== "offline") publishUserSignal(this.bus, userId, presenceFrame(p));
    }
  }

  private announce(userId: string, s: State) {
    const status = this.effective(s);
    if (status === s.announced) return;
    s.announced = status;
    const json = presenceFrame({ userId, status, lastSeen: s.lastSeen });
    for (const room of s.conns > 0 ? this.roomsOf(userId) : s.lastRooms) publishRoomSignal(this.bus, room, json);
  }

  close() {
    clearInterval(this.sweeper);
    clearTimeout(this.flushTimer);
    if (this.unsaved.size) void this.store.setLastSeen(this.unsaved).catch(() => undefined);
    for (const s of this.users.values()) clearTimeout(s.offlineTimer);
  }
}
