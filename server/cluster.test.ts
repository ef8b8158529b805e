// Three dist/parley processes on one PostgreSQL database and one Redis, behind HAProxy: the chat behaves as on one node.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import { startBalancer, startCluster, until, type Cluster } from "./test/cluster";
import { clusterRules, range, send } from "./test/cluster-suite";
import { Client, createRoom, type Session } from "./test/harness";

clusterRules("redis", ["1", "2", "3", "4", "5", "7", "8", "10", "11", "12"]);

/** A registration from a chosen local address (127.0.0.x), optionally with headers of the client's own. */
function registerFrom(base: string, localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({ username: `u${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`, password: "correct horse battery" });
  const url = new URL(base + "/api/auth/register");
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: Number(url.port), path: url.pathname, method: "POST", localAddress, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("cluster of three on redis, with tight limits", () => {
  let cl: Cluster;
  beforeAll(async () => {
    // A signing key given on the command line, as deploy/compose.yaml does (the main cluster shares one through the store).
    cl = await startCluster({ bus: "redis", jwtSecret: "cluster-test-secret-" + crypto.randomUUID(), extra: ["--write-burst", "5", "--write-rate", "1", "--register-limit", "3"] });
  }, 120_000);
  afterAll(async () => {
    await cl?.stop();
  }, 120_000);

  test("CLUSTER-6 one user writing through two nodes spends one write budget: rate_limited after 5 in total, not 10", async () => {
    const { nodes } = cl;
    // Each registration from an address of its own: the per-address budget here is 3.
    const r = await registerFrom(nodes[0].url, "127.0.0.1", { "x-forwarded-for": "198.51.100.60" });
    expect(r.status).toBe(201);
    const user: Session = r.body;
    const room = await createRoom(nodes[0].url, user, "public", "cluster-6");
    const a = await Client.connect(nodes[0], user);
    const b = await Client.connect(nodes[1], user);
    try {
      for (const i of range(1, 3)) expect((await send(a, room, `a${i}`)).type).toBe("ok");
      for (const i of range(1, 2)) expect((await send(b, room, `b${i}`)).type).toBe("ok");
      const limited = await send(b, room, "b3");
      expect(limited.code).toBe("rate_limited");
      expect(limited.retryAfterMs).toBeGreaterThan(0);
      expect((await send(a, room, "a4")).code).toBe("rate_limited");
      // Read frames have their own budget.
      expect((await a.request({ type: "ping" })).type).toBe("pong");
    } finally {
      a.close();
      b.close();
    }
  });

  test("CLUSTER-9 HAProxy's health checks (HTTP/1.1 GET with Host) find /readyz and /healthz up on all three nodes", async () => {
    const health = await startBalancer(cl.nodes, { checkUri: "/healthz" });
    try {
      for (const lb of [cl.lb, health]) {
        await lb.waitUp(3);
        // Servers start UP before their first check: wait until a check has passed on each.
        let servers = await lb.servers();
        await until(`a passed check on every node (${JSON.stringify(servers)})`, async () => (servers = await lb.servers()).every((s) => s.checkStatus === "L7OK" && s.checkCode === "200"));
        expect(servers.map((s) => s.status)).toEqual(["UP", "UP", "UP"]);
      }
    } finally {
      await health.stop();
    }
  });

  test("CLUSTER-9 with --trust-proxy 127.0.0.1 the per-address registration limit counts the address HAProxy forwards, not HAProxy's", async () => {
    const { nodes, lb } = cl;
    // The client is 127.0.0.2; HAProxy (127.0.0.1, trusted) forwards that in X-Forwarded-For.
    for (const i of range(1, 3)) expect({ i, status: (await registerFrom(lb.url, "127.0.0.2")).status }).toEqual({ i, status: 201 });
    const fourth = await registerFrom(lb.url, "127.0.0.2");
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.code).toBe("rate_limited");
    // Another client behind the same HAProxy has its own budget: HAProxy's address was not what counted.
    expect((await registerFrom(lb.url, "127.0.0.3")).status).toBe(201);
    // The same client straight at a node is the same address, on every node (one budget in Redis).
    expect((await registerFrom(nodes[2].url, "127.0.0.2")).status).toBe(429);
    // A client cannot pass for another (spent) address: straight at a node its X-Forwarded-For is ignored
    // (127.0.0.4 is no trusted proxy), and through HAProxy the entry HAProxy appended is the one taken.
    expect((await registerFrom(nodes[1].url, "127.0.0.4", { "x-forwarded-for": "127.0.0.2" })).status).toBe(201);
    expect((await registerFrom(lb.url, "127.0.0.5", { "x-forwarded-for": "127.0.0.2" })).status).toBe(201);
  });
});
