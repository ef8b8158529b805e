// Test brokers: a redis-server or nats-server of the test's own, on a free port, that a test may kill and restart.

import type { Subprocess } from "bun";

export interface Broker {
  url: string;
  /** SIGKILL: connections drop at once, as in a crash. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it for good (afterAll). */
  stop(): Promise<void>;
}

const READY_WAIT_MS = 10_000;

/** A port nobody listens on right now (the OS picks it, so parallel tests do not collide). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Resolves when the process prints `ready` on stdout or stderr; rejects if it exits or takes too long. */
async function waitReady(proc: Subprocess<"ignore", "pipe", "pipe">, ready: RegExp, what: string): Promise<void> {
  let out = "";
  const dec = new TextDecoder();
  const watch = async (s: ReadableStream<Uint8Array>, found: () => void) => {
    const reader = s.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      out += dec.decode(r.value);
      if (ready.test(out)) found();
    }
  };
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start in time: ${out.slice(-500)}`)), READY_WAIT_MS);
    const found = () => (clearTimeout(t), resolve());
    void watch(proc.stdout, found);
    void watch(proc.stderr, found);
    void proc.exited.then((code) => (clearTimeout(t), reject(new Error(`${what} exited with ${code}: ${out.slice(-500)}`))));
  });
}

function broker(what: string, cmd: (port: number) => string[], ready: RegExp, scheme: string): () => Promise<Broker> {
  return async () => {
    const port = freePort();
    let proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
    const start = async () => {
      const p = Bun.spawn(cmd(port), { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      proc = p;
      await waitReady(p, ready, what);
    };
    const kill = async () => {
      const p = proc;
      proc = undefined;
      if (!p) return;
      p.kill("SIGKILL");
      await p.exited;
    };
    await start();
    return { url: `${scheme}://127.0.0.1:${port}`, kill, start, stop: kill };
  };
}

/** redis-server without persistence: a restart comes back empty, as a pub/sub broker may. */
export const startRedis = broker("redis-server", (port) => ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], /Ready to accept connections/, "redis");

export const startNats = broker("nats-server", (port) => ["nats-server", "-a", "127.0.0.1", "-p", String(port)], /Server is ready/, "nats");

/** The shared brokers of this machine (CI); a test that cannot reach them fails, it is never skipped. */
export const SHARED_REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const SHARED_NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
