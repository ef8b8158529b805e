// Idle: N authenticated idle connections; server RSS per connection, and RSS after connect/disconnect cycles (leak check).
import { closeAll, connectAll, Recorder } from "../lib/recorder";
import { waitFor } from "../lib/progress";
import { rssKb } from "../lib/target";
import { type Ctx, metric, type ScenarioResult } from "./types";

/** Lets the server notice closes and its allocator settle before RSS is read. */
async function settle(): Promise<void> {
  Bun.gc(true); // our own garbage does not matter, but a quiet generator makes the server's numbers steadier
  await Bun.sleep(1000);
}

export async function idle(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target, progress } = ctx;
  const n = plan.idleConnections;
  const rec = new Recorder(layout, 0);
  const rss = () => rssKb(target.pid);
  await settle();
  const before = rss();
  let conns = await connectAll(target.url, layout, n, rec, { autoReconnect: false }, progress, `${ctx.label} (cycle 0)`);
  await settle();
  const connected = rss();
  const connectedAfter: (number | undefined)[] = [];
  for (let cycle = 1; cycle <= plan.idleCycles; cycle++) {
    closeAll(conns);
    await waitFor(() => conns.every((c) => !c.open), 10_000);
    await Bun.sleep(300);
    conns = await connectAll(target.url, layout, n, rec, { autoReconnect: false }, progress, `${ctx.label} (cycle ${cycle})`);
    await settle();
    connectedAfter.push(rss());
  }
  closeAll(conns);
  await settle();
  const after = rss();
  const perConn = before !== undefined && connected !== undefined ? (connected - before) / n : null;
  const notes = target.pid === undefined ? ["server pid unknown (pass --server-pid with --url): RSS not measured"] : [];
  return {
    scenario: "idle",
    target: target.kind,
    metrics: {
      rssPerConnectionKb: metric(perConn, "KiB/conn", "lower"),
      rssConnectedMb: metric(connected !== undefined ? connected / 1024 : null, "MiB", "lower"),
      rssGrowthAfterCyclesMb: metric(after !== undefined && before !== undefined ? (after - before) / 1024 : null, "MiB", "lower"),
    },
    details: { connections: n, cycles: plan.idleCycles, rssKb: { before, connected, connectedAfterEachCycle: connectedAfter, afterCyclesDisconnected: after }, notes },
    generatorCpu: 0,
    invalid: [],
  };
}
