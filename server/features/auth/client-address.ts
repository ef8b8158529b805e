// The client's address for per-address limits: the TCP peer, or what trusted proxies forwarded.

import { isIP } from "node:net";

/**
 * Canonical form for comparing addresses: Bun reports an IPv4 peer on a dual-stack socket as
 * `::ffff:127.0.0.1`, which must match a configured `127.0.0.1` (and one address must not get two
 * budgets). IPv6 is lower-cased. Anything that is not an IP address comes back as "".
 */
export function normalizeIp(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = a.startsWith("::ffff:") ? a.slice(7) : "";
  if (mapped && isIP(mapped) === 4) return mapped;
  return isIP(a) ? a : "";
}

/**
 * PROXY-1: with no trusted proxies, the peer; X-Forwarded-For is ignored (anyone can send it).
 * PROXY-2: when the peer is a trusted proxy, the right-most X-Forwarded-For entry that is not itself a
 * trusted proxy. Each proxy appends the address it saw, so entries right of the client's were
 * written by our proxies; anything further left was sent by the client (PROXY-3: a spoofed
 * left-most entry is never chosen while a real one stands right of it).
 * An entry that is not an address stops the walk at the last address a trusted proxy vouched for.
 */
export function clientAddress(trustProxy: readonly string[], peerAddress: string | undefined, forwardedFor: string | null): string {
  const peer = normalizeIp(peerAddress ?? "") || "unknown";
  if (trustProxy.length === 0 || !forwardedFor || !trustProxy.includes(peer)) return peer;
  let vouched = peer;
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    if (!hop) return vouched;
    if (!trustProxy.includes(hop)) return hop;
    vouched = hop; // a chain of our own proxies: keep walking left
  }
  return vouched;
}

/** The same for a Bun request: the one call sites use (HTTP routes and the WebSocket upgrade). */
export function requestAddress(
  trustProxy: readonly string[],
  server: { requestIP(r: Request): { address: string } | null } | null | undefined,
  request: Request,
): string {
  return clientAddress(trustProxy, server?.requestIP(request)?.address, request.headers.get("x-forwarded-for"));
}

/** Startup check for --trust-proxy: every entry an IP address; returns them normalized. */
export function parseTrustProxy(list: readonly string[]): { addresses: string[]; invalid: string[] } {
  const addresses: string[] = [];
  const invalid: string[] = [];
  for (const entry of list) {
    const a = normalizeIp(entry);
    if (a) addresses.push(a);
    else invalid.push(entry);
  }
  return { addresses, invalid };
}
