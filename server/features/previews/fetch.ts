// Fetching what a user linked, without letting a link reach inside the network (SSRF): http/https
// only; every address the host resolves to must be public unless allowed; the connection goes to the
// checked address itself, https included (no second lookup to rebind); each redirect is checked
// again; a deadline; at most `maxBytes` read, then cut.

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

export interface FetchRules {
  allowPrivate: boolean;
  /** Tests only: addresses let through although private (a loopback page that redirects inward). */
  allowAddress?: (addr: string) => boolean;
  timeoutMs: number;
  maxBytes: number;
  /** Tests only: the host's addresses instead of the system resolver's (a name no DNS knows). */
  resolve?: (host: string) => Promise<string[]>;
  /** Tests only: a certificate (PEM) trusted besides the system's, for a test's own https page. */
  ca?: string;
}

export interface Fetched {
  url: string;
  contentType: string;
  bytes: Uint8Array;
  /** The body was longer than maxBytes: `bytes` is its start. */
  cut: boolean;
}

const MAX_REDIRECTS = 5;

/** Why a link was not fetched: the previews service logs it at debug level and makes no card. */
export class Refused extends Error {}

function v4(a: string): number[] {
  return a.split(".").map(Number);
}

/** Private, loopback, link-local, unspecified, shared, benchmark, multicast and reserved ranges (IPv4 and IPv6). */
export function isPrivateAddress(addr: string): boolean {
  if (isIP(addr) === 4) {
    const [a, b] = v4(addr);
    return a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 192 && b === 0 && v4(addr)[2] === 0) || (a === 198 && (b === 18 || b === 19));
  }
  const x = addr.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(x);
  if (mapped) return isPrivateAddress(mapped[1]);
  if (x === "::" || x === "::1") return true;
  const first = parseInt(x.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 /* fc00::/7 */ || (first & 0xffc0) === 0xfe80 /* fe80::/10 */ || (first & 0xff00) === 0xff00 /* multicast */ ||
    x.startsWith("64:ff9b:") /* NAT64 can reach any IPv4 */ || x.startsWith("::ffff:") || x.startsWith("2002:") /* 6to4 */;
}

/** The host's addresses, every one checked; the first is the one to connect to. */
async function checkedAddress(host: string, rules: FetchRules): Promise<string> {
  const bare = host.replace(/^\[|\]$/g, "");
  const addrs = isIP(bare) ? [bare]
    : rules.resolve ? await rules.resolve(bare)
    : (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
  if (addrs.length === 0) throw new Refused(`${host} does not resolve`);
  if (!rules.allowPrivate && addrs.some((a) => isPrivateAddress(a) && !rules.allowAddress?.(a))) throw new Refused(`${host} resolves to a private address`);
  return addrs[0];
}

/** GET with the rules above; throws Refused (or a network error) when it cannot. */
export async function safeFetch(start: string, rules: FetchRules, accept = "text/html"): Promise<Fetched> {
  const signal = AbortSignal.timeout(rules.timeoutMs);
  let url = new URL(start);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Refused(`${url.protocol} links are not fetched`);
    if (url.username || url.password) throw new Refused("links with credentials are not fetched");
    const addr = await checkedAddress(url.hostname, rules);
    // The connection goes to the address just checked: no second lookup, so no DNS rebinding between
    // the check and the connection. The name goes in Host and, for https, in SNI and the certificate
    // check (Bun's fetch `tls.serverName`), so the site is verified as its name, not its address.
    const target = new URL(url);
    target.hostname = isIP(addr) === 6 ? `[${addr}]` : addr;
    const named = isIP(url.hostname.replace(/^\[|\]$/g, "")) === 0;
    const tls = url.protocol === "https:" ? { ...(named ? { serverName: url.hostname } : {}), ...(rules.ca ? { ca: rules.ca } : {}) } : undefined;
    const res = await fetch(target, {
      redirect: "manual", signal, tls,
      headers: { host: url.host, accept, "user-agent": "ParleyLinkPreview/1.0" },
    });
    if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new Refused("too many redirects");
      url = new URL(res.headers.get("location")!, url);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Refused(`HTTP ${res.status}`);
    }
    const contentType = (res.headers.get("content-type") ?? "").toLowerCase();
    const { bytes, cut } = await readAtMost(res, rules.maxBytes);
    return { url: url.href, contentType, bytes, cut };
  }
}

async function readAtMost(res: Response, max: number): Promise<{ bytes: Uint8Array; cut: boolean }> {
  const reader = res.body!.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      parts.push(value.subarray(0, max - size));
      size = max;
      cut = true;
      await reader.cancel();
      break;
    }
    parts.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) bytes.set(p, at), (at += p.length);
  return { bytes, cut };
}
