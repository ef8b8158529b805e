// Delivery ticks on our own messages (protocol 1.2): pure, from the member list and the members' delivered marks.

/** Two ticks need every other member's delivered mark; above this many members the tick says "delivered to N". */
export const TICK_ROOM_MAX = 50;

export type Tick = { state: "sent" } | { state: "delivered" } | { state: "count"; n: number };

/**
 * The tick of our message `seq`: stored (one tick) until every other member's delivered mark reaches it
 * (two ticks); in rooms with more than TICK_ROOM_MAX other members, how many it reached.
 */
export function tickFor(seq: number, me: string, memberIds: string[] | undefined, delivered: Record<string, number> | undefined): Tick {
  const others = (memberIds ?? []).filter((u) => u !== me);
  const n = others.filter((u) => (delivered?.[u] ?? 0) >= seq).length;
  if (others.length > TICK_ROOM_MAX) return { state: "count", n };
  return others.length && n === others.length ? { state: "delivered" } : { state: "sent" };
}

export function tickLabel(t: Tick): string {
  return t.state === "sent" ? "Sent" : t.state === "delivered" ? "Delivered" : `Delivered to ${t.n}`;
}
