// Client address behind a proxy: which X-Forwarded-For entry counts, checked through real registrations.

import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../config";
import { startServer, uniqueName, type TestServer } from "../../test/harness";
import { clientAddress } from "./client-address";

/** A real registration over real HTTP, with the X-Forwarded-For header a proxy (or a client) sent. */
async function registerVia(t: TestServer, forwardedFor?: string): Promise<number> {
  const res = await fetch(t.url + "/api/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json", ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
    body: JSON.stringify({ username: uniqueName(), password: "correct horse battery" }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("client address", () => {
  test("PROXY-1 without --trust-proxy, X-Forwarded-For does not change which address a registration counts against", async () => {
    const t = await startServer({ config: { registerPerIpPer10Min: 2 } });
    try {
      expect(await registerVia(t, "203.0.113.1")).toBe(201);
      expect(await registerVia(t, "203.0.113.2")).toBe(201);
      expect(await registerVia(t, "203.0.113.3")).toBe(429); // all three were the peer, 127.0.0.1
      expect(await registerVia(t)).toBe(429);
    } finally {
      await t.stop();
    }
  });

  test("PROXY-2 with --trust-proxy 127.0.0.1, two forwarded addresses get separate register budgets", async () => {
    const { trustProxy } = loadConfig(["--trust-proxy", "127.0.0.1"], {});
    const t = await startServer({ config: { registerPerIpPer10Min: 1, trustProxy } });
    try {
      expect(await registerVia(t, "203.0.113.1")).toBe(201);
      expect(await registerVia(t, "203.0.113.2")).toBe(201);
      expect(await registerVia(t, "203.0.113.1")).toBe(429);
      expect(await registerVia(t, "2001:db8::1")).toBe(201);
    } finally {
      await t.stop();
    }
  });

  test("PROXY-3 a spoofed left-most entry does not buy a new budget: the right-most untrusted entry counts", async () => {
    const { trustProxy } = loadConfig(["--trust-proxy", "127.0.0.1,10.0.0.5"], {});
    const t = await startServer({ config: { registerPerIpPer10Min: 1, trustProxy } });
    try {
      // The client sent its own header; the proxy appended the address it really saw.
      expect(await registerVia(t, "198.51.100.7, 203.0.113.9")).toBe(201);
      expect(await registerVia(t, "198.51.100.8, 203.0.113.9")).toBe(429);
      expect(await registerVia(t, "203.0.113.9")).toBe(429);
      // Two of our proxies in a row (10.0.0.5 is trusted): the walk passes over it to the client.
      expect(await registerVia(t, "198.51.100.9, 203.0.113.9, 10.0.0.5")).toBe(429);
      expect(await registerVia(t, "203.0.113.10, 10.0.0.5")).toBe(201);
    } finally {
      await t.stop();
    }
  });

  test("PROXY-4 --trust-proxy is checked at startup: IP addresses or CIDR ranges only; IPv4-mapped IPv6 compares equal to IPv4", () => {
    expect(() => loadConfig(["--trust-proxy", "10.0.0.1,proxy.internal"], {})).toThrow(ConfigError);
    for (const bad of ["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/8/8", "proxy.internal/8", "10.0.0.0/-1", "10.0.0.0/8x"]) {
      expect(() => loadConfig([], { PARLEY_TRUST_PROXY: bad })).toThrow(/IP addresses or CIDR ranges/);
    }
    expect(loadConfig([], {}).trustProxy).toEqual([]);
    expect(loadConfig(["--trust-proxy", "::FFFF:127.0.0.1, 2001:DB8::1"], {}).trustProxy).toEqual(["127.0.0.1", "2001:db8::1"]);
    // Bun reports an IPv4 peer on a dual-stack socket as ::ffff:a.b.c.d; it is still the trusted proxy.
    expect(clientAddress(["127.0.0.1"], "::ffff:127.0.0.1", "203.0.113.1")).toBe("203.0.113.1");
    expect(clientAddress(["127.0.0.1"], "::ffff:127.0.0.1", "::ffff:203.0.113.1")).toBe("203.0.113.1");
    // An entry that is not an address stops the walk at the last hop a trusted proxy vouched for.
    expect(clientAddress(["127.0.0.1"], "127.0.0.1", "203.0.113.1, garbage")).toBe("127.0.0.1");
    expect(clientAddress([], "::ffff:198.51.100.1", "203.0.113.1")).toBe("198.51.100.1");
  });

  test("PROXY-5 --trust-proxy takes IPv4 and IPv6 CIDR ranges: every address inside one is a trusted proxy, none outside", async () => {
    const { trustProxy } = loadConfig(["--trust-proxy", "127.0.0.0/8, 10.0.0.0/8,FD00::/8, ::ffff:192.168.0.0/112"], {});
    expect(trustProxy).toEqual(["127.0.0.0/8", "10.0.0.0/8", "fd00::/8", "192.168.0.0/16"]);
    // Through real registrations: the peer (127.0.0.1) is trusted by its range, and so are the pods in 10/8 and fd00::/8.
    const t = await startServer({ config: { registerPerIpPer10Min: 1, trustProxy } });
    try {
      expect(await registerVia(t, "198.51.100.7, 203.0.113.20, 10.42.0.7")).toBe(201);
      expect(await registerVia(t, "198.51.100.8, 203.0.113.20, fd12:3456::9, 10.244.1.1")).toBe(429); // the same client
      expect(await registerVia(t, "203.0.113.21, 10.1.2.3")).toBe(201);
      // 11.0.0.1 is outside every range: it is the client, whatever stands left of it.
      expect(await registerVia(t, "203.0.113.22, 11.0.0.1")).toBe(201);
      expect(await registerVia(t, "203.0.113.23, 11.0.0.1")).toBe(429);
    } finally {
      await t.stop();
    }
    const ranges = ["10.0.0.0/8", "fd00::/8", "192.168.0.0/16"];
    expect(clientAddress(ranges, "10.255.255.255", "203.0.113.1")).toBe("203.0.113.1");
    expect(clientAddress(ranges, "::ffff:10.0.0.1", "203.0.113.1")).toBe("203.0.113.1"); // a mapped peer is in the IPv4 range
    expect(clientAddress(ranges, "fdff:ffff::1", "2001:db8::1")).toBe("2001:db8::1");
    expect(clientAddress(ranges, "11.0.0.1", "203.0.113.1")).toBe("11.0.0.1"); // an untrusted peer: its header is ignored
    expect(clientAddress(ranges, "fe00::1", "203.0.113.1")).toBe("fe00::1");
    expect(clientAddress(ranges, "192.168.1.1", "203.0.113.1, 192.168.7.7, fd00::2")).toBe("203.0.113.1");
    // Only the prefix counts: host bits in an entry are ignored, as in a route.
    expect(clientAddress(loadConfig(["--trust-proxy", "10.1.2.3/16"], {}).trustProxy, "10.1.200.1", "203.0.113.1")).toBe("203.0.113.1");
    expect(clientAddress(["0.0.0.0/0", "::/0"], "11.0.0.1", "203.0.113.1, 2001:db8::1")).toBe("203.0.113.1"); // everyone trusted: the left-most address
  });
});
