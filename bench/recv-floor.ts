// Receive floor of the generator's transport (docs/benchmarks.md, "Generator cost"):
//   bun bench/recv-floor.ts [frames/s in total=20000] [connections=1000] [frames per socket per burst=1] [seconds=6]
// A sender process (this script with --serve) accepts WebSockets and every 10 ms sends its share of event-sized frames,
// round robin over the sockets; this process opens the connections with the bench's own client (lib/ws.ts), whose
// handler only counts frames, and prints its own CPU (user + system) per frame received: what receiving costs before
// any of the generator's work (frame reading, audit, latency). 0 frames/s measures idle connections.
import { RawWebSocket } from "./lib/ws";

const FRAME = JSON.stringify({
  type: "event",
  event: { room: "r_0123456789abcdef", seq: 1, kind: "message", sender: "u_0123456789abcdef", clientMsgId: "f0.1.2.abcdefgh", body: "t=1796230289053.808 f0.1.2.abcdefgh" },
});

if (process.argv[2] === "--serve") {
  const [rate, burst] = [Number(process.argv[3]), Number(process.argv[4])];
  const socks: Bun.ServerWebSocket<undefined>[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("websocket only", { status: 400 })),
    websocket: { open: (ws) => void socks.push(ws), message() {} },
  });
  console.log(server.port);
  let next = 0;
  if (rate > 0) setInterval(() => {
    for (let k = 0; k < rate / 100 && socks.length; k += burst) {
      const ws = socks[next++ % socks.length];
      for (let b = 0; b < burst; b++) ws.send(FRAME);
    }
  }, 10);
} else {
  const [rate = 20000, conns = 1000, burst = 1, seconds = 6] = process.argv.slice(2).map(Number);
  const sender = Bun.spawn([process.execPath, import.meta.path, "--serve", String(rate), String(burst)], { stdout: "pipe", stderr: "inherit" });
  const port = Number(new TextDecoder().decode((await sender.stdout.getReader().read()).value).trim());
  let opened = 0;
  let frames = 0;
  for (let i = 0; i < conns; i++) {
    new RawWebSocket(`ws://127.0.0.1:${port}/`, { open: () => void opened++, text: () => void frames++, close() {} });
    if (i % 64 === 63) await Bun.sleep(5); // no accept-queue burst
  }
  while (opened < conns) await Bun.sleep(20);
  await Bun.sleep(1000); // past the first frames' JIT and allocation
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const f0 = frames;
  await Bun.sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const sec = (performance.now() - t0) / 1000;
  const n = frames - f0;
  const share = (us: number) => (us / 1e6 / sec).toFixed(3);
  console.log(
    `${conns} connections, ${Math.round(n / sec)} frames/s received (${burst} per socket per burst): ${share(cpu.user + cpu.system)} of a core ` +
      `(user ${share(cpu.user)}, system ${share(cpu.system)})${n ? `, ${((cpu.user + cpu.system) / n).toFixed(2)} µs per frame` : ""}`,
  );
  sender.kill();
  process.exit(0);
}
