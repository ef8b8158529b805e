// Send policy per room: moderation silences and slow mode, cached in memory off the hot path.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import { isAdmin } from "../rooms/service";

interface RoomPolicy {
  slowModeMs: number;
  silenced: Map<string, number>;
  admins: Set<string>;
  lastSend: Map<string, number>;
}

/**
 * Loaded from the store on a room's first send, then kept until moderation changes it. The cache is
 * per process: moderation on any node publishes `policyChanged` (realtime/publish.ts), and every
 * node's hub hands it here, so a mute set through one node holds on all of them.
 */
export function createPolicy(ctx: Context) {
  const rooms = new Map<string, RoomPolicy | Promise<RoomPolicy>>();
  ctx.hub.onPolicyChange((room) => rooms.delete(room));

  async function load(room: string): Promise<RoomPolicy> {
    const [r, members] = await Promise.all([ctx.store.roomById(room), ctx.store.members(room)]);
    return {
      slowModeMs: (r?.slowModeSec ?? 0) * 1000,
      silenced: new Map(members.filter((m) => m.silencedUntil).map((m) => [m.userId, m.silencedUntil!])),
      admins: new Set(members.filter((m) => isAdmin(m.role)).map((m) => m.userId)),
      lastSend: new Map(),
    };
  }

  function check(pol: RoomPolicy, userId: string) {
    const now = ctx.clock.now();
    const until = pol.silenced.get(userId);
    if (until !== undefined && until > now) throw new AppError("forbidden", `you are muted in this room until ${new Date(until).toISOString()}`);
    if (pol.slowModeMs > 0 && !pol.admins.has(userId)) {
      const last = pol.lastSend.get(userId) ?? -Infinity;
      if (now - last < pol.slowModeMs) throw new AppError("rate_limited", "slow mode is on in this room", { retryAfterMs: last + pol.slowModeMs - now });
      pol.lastSend.set(userId, now);
    }
  }

  return {
    /**
     * Throws forbidden (silenced) or rate_limited (slow mode); records the send time otherwise.
     * Synchronous once the room's policy is cached (every send after the first): no promise per message.
     */
    admit(room: string, userId: string): void | Promise<void> {
      let p = rooms.get(room);
      if (!p) {
        // A load that a policy change overtook must not put the old policy back.
        const loading: Promise<RoomPolicy> = load(room).then((x) => (rooms.get(room) === loading && rooms.set(room, x), x));
        rooms.set(room, (p = loading));
      }
      if (p instanceof Promise) return p.then((pol) => check(pol, userId));
      check(p, userId);
    },
  };
}
