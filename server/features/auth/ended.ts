// Ended sessions: the ids whose access tokens this node refuses, without a store read per request.

import type { Clock, Logger } from "../../ports/runtime";
import type { Store } from "../../ports/store";

/**
 * An access token names its session (claim `sid`) and lives at most the access TTL, so a session that
 * ended longer ago than that has no valid token left: each id is kept exactly that long. Filled from
 * the store when the node starts and whenever the bus may have lost messages, and from the bus's
 * `ended` messages meanwhile; the node that ends a session adds it itself before answering.
 */
export class EndedSessions {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  has(sessionId: string): boolean {
    const at = this.ids.get(sessionId);
    return at !== undefined && at > this.clock.now() - this.ttlMs;
  }

  add(sessionIds: Iterable<string>, at = this.clock.now()) {
    for (const id of sessionIds) if (!this.ids.has(id)) this.ids.set(id, at);
    this.prune();
  }

  /** Reads every session ended within the access TTL from the store (start, bus reconnect). */
  async load(store: Store, log: Logger): Promise<void> {
    try {
      this.add((await store.endedSessionsSince(this.clock.now() - this.ttlMs)).map((s) => s.id));
    } catch (e) {
      log.warn("could not read ended sessions", { err: String(e) });
    }
  }

  private prune() {
    const cutoff = this.clock.now() - this.ttlMs;
    // Map order is insertion order, roughly by time: stop at the first one still in force.
    for (const [id, at] of this.ids) {
      if (at > cutoff) break;
      this.ids.delete(id);
    }
  }
}
