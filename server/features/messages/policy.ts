// Posting policy per room: moderation silences and slow mode, cached in memory off the hot path.
// It applies to every frame that puts new text or a reaction in front of the room: send, edit, and
// react with on=true (service.ts); one slow-mode turn per member covers all three.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { RateLimiter } from "../../ports/rate-limit";
import { isAdmin } from "../rooms/service";

interface RoomPolicy {
  slowModeMs: number;
  silenced: Map<string, number>;
  admins: Set<string>;
}

/** Slow-mode buckets count milliseconds, so they refill 1000 tokens per second (see `slowModeLimiter`). */
const MS_PER_SEC = 1000;

/**
 * Loaded from the store on a room's first send, then kept until moderation changes it. The cache is
 * per process: moderation on any node publishes `policyChanged` (realtime/publish.ts), and every
 * node's hub hands it here, so a mute set through one node holds on all of them.
 *
 * Slow mode is a token bucket from the rate-limit port (ctx.limits), keyed by room and user, so it
 * is as wide as the limits are: with a Redis bus one bucket in Redis for the whole cluster (a user
 * with sockets on two nodes still sends once per interval), with NATS or one process one bucket
 * per node. With the in-process limiter the check stays synchronous (RATE-5).
 */
export function createPolicy(ctx: Context) {
  const rooms = new Map<string, RoomPolicy | Promise<RoomPolicy>>();
  ctx.hub.onPolicyChange((room) => rooms.delete(room));
  const slowModes = new Map<number, RateLimiter>();

  /**
   * Slow mode of `ms` as a bucket counted in milliseconds: `ms` tokens, refilled at 1000 per second,
   * a send costs `ms`. That is the burst-1, rate 1/interval bucket, scaled so that the refill after
   * exactly the interval and the retry-after of a fresh send are whole numbers: with 1/interval
   * tokens per second, `s × (1/s)` falls just short of 1 for some whole `s` (49 is one), and a send
   * exactly on time would be refused for a millisecond. One limiter per interval in use: a
   * bucket's rule is fixed, and a room that changes its interval starts its members afresh.
   */
  function slowModeLimiter(ms: number): RateLimiter {
    let l = slowModes.get(ms);
    if (!l) slowModes.set(ms, (l = ctx.limits.limiter(`slow-mode-${ms}`, { burst: ms, perSec: MS_PER_SEC })));
    return l;
  }

  async function load(room: string): Promise<RoomPolicy> {
    const [r, members] = await Promise.all([ctx.store.roomById(room), ctx.store.members(room)]);
    return {
      slowModeMs: (r?.slowModeSec ?? 0) * 1000,
      silenced: new Map(members.filter((m) => m.silencedUntil).map((m) => [m.userId, m.silencedUntil!])),
      admins: new Set(members.filter((m) => isAdmin(m.role)).map((m) => m.userId)),
    };
  }

  function slowModeRefusal(waitMs: number) {
    if (waitMs > 0) throw new AppError("rate_limited", "slow mode is on in this room", { retryAfterMs: waitMs });
  }

  function check(pol: RoomPolicy, room: string, userId: string): void | Promise<void> {
    const until = pol.silenced.get(userId);
    if (until !== undefined && until > ctx.clock.now()) throw new AppError("forbidden", `you are muted in this room until ${new Date(until).toISOString()}`);
    if (pol.slowModeMs <= 0 || pol.admins.has(userId)) return;
    const wait = slowModeLimiter(pol.slowModeMs).take(`${room}:${userId}`, pol.slowModeMs);
    if (typeof wait === "number") return slowModeRefusal(wait);
    return wait.then(slowModeRefusal);
  }

  return {
    /**
     * Throws forbidden (silenced) or rate_limited (slow mode); spends the user's slow-mode turn otherwise.
     * Synchronous once the room's policy is cached (every send after the first) and the limiter is
     * in-process: no promise per message then.
     */
    admit(room: string, userId: string): void | Promise<void> {
      let p = rooms.get(room);
      if (!p) {
        // A load that a policy change overtook must not put the old policy back.
        const loading: Promise<RoomPolicy> = load(room).then((x) => (rooms.get(room) === loading && rooms.set(room, x), x));
        rooms.set(room, (p = loading));
      }
      if (p instanceof Promise) return p.then((pol) => check(pol, room, userId));
      return check(p, room, userId);
    },
  };
}
