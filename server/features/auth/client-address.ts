// The client's address for per-address limits: the TCP peer, or what trusted proxies forwarded.

import { BlockList, isIP } from "node:net";

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
 * One --trust-proxy entry in canonical form: a single address (normalized as above) or a CIDR range
 * `address/prefix` (prefix 0–32 for IPv4, 0–128 for IPv6); "" when it is neither. An IPv4-mapped
 * range (`::ffff:10.0.0.0/104`) becomes the IPv4 range it covers, as its addresses do.
 */
export function normalizeProxyEntry(entry: string): string {
  const [addr, prefix, ...rest] = entry.trim().toLowerCase().split("/");
  const ip = normalizeIp(addr);
  if (prefix === undefined) return ip;
  if (!ip || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return "";
  let bits = Number(prefix);
  if (isIP(ip) === 4 && isIP(addr.trim()) === 6) bits -= 96; // mapped: ::ffff:0:0/96 is the whole IPv4 space
  return bits >= 0 && bits <= (isIP(ip) === 4 ? 32 : 128) ? `${ip}/${bits}` : "";
}

/**
 * Membership in a normalized --trust-proxy list. Built per call, since only registrations, logins and
 * WebSocket upgrades that carry X-Forwarded-For ask, and a list is a handful of entries.
 */
function trustedSet(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split("/");
    const family = isIP(addr) === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  return (ip) => list.check(ip, isIP(ip) === 4 ? "ipv4" : "ipv6");
}

/**
 * PROXY-1: with no trusted proxies, the peer; X-Forwarded-For is ignored (anyone can send it).
 * PROXY-2: when the peer is a trusted proxy, the right-most X-Forwarded-For entry that is not itself a
 * trusted proxy. Each proxy appends the address it saw, so entries right of the client's were
 * written by our proxies; anything further left was sent by the client (PROXY-3: a spoofed
 * left-most entry is never chosen while a real one stands right of it).
 * PROXY-5: a trusted entry may be a CIDR range (the pod network of a Kubernetes cluster, whose ingress
 * pods change address); every address inside it is a trusted proxy.
 * An entry that is not an address stops the walk at the last address a trusted proxy vouched for.
 */
export function clientAddress(trustProxy: readonly string[], peerAddress: string | undefined, forwardedFor: string | null): string {
  const peer = normalizeIp(peerAddress ?? "") || "unknown";
  if (trustProxy.length === 0 || !forwardedFor || peer === "unknown") return peer;
  const trusted = trustedSet(trustProxy);
  if (!trusted(peer)) return peer;
  let vouched = peer;
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    if (!hop) return vouched;
    if (!trusted(hop)) return hop;
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

/** Startup check for --trust-proxy: every entry an IP address or a CIDR range; returns them normalized. */
export function parseTrustProxy(list: readonly string[]): { entries: string[]; invalid: string[] } {
  const entries: string[] = [];
  const invalid: string[] = [];
  for (const entry of list) {
    const e = normalizeProxyEntry(entry);
    if (e) entries.push(e);
    else invalid.push(entry);
  }
  return { entries, invalid };
}
