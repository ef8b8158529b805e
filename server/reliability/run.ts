// The long reliability runs (`make crash`, `make faults`, `make soak`; docs/reliability.md): prints
// the figures as JSON. `bun server/reliability/run.ts crash [--cycles 20] [--cluster]`, `… slow`, `… idle [--conns 10000 --idle-sec 600]`.

import { parseArgs } from "node:util";
import { runCrash } from "./crash";
import { runSlow } from "./slow";
import { runIdle } from "./idle";
import { runDiskFull, runPgStop, runReadOnly } from "./faults";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { cycles: { type: "string" }, cluster: { type: "boolean" }, seconds: { type: "string" }, conns: { type: "string" }, "idle-sec": { type: "string" } },
});
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const what = positionals[0];
let figures: unknown;
if (what === "crash") figures = await runCrash({ cycles: Number(values.cycles ?? 20), cluster: values.cluster, log });
else if (what === "faults") figures = [await runDiskFull(), await runReadOnly({ log }), await runPgStop({ log })];
else if (what === "idle") figures = await runIdle({ conns: Number(values.conns ?? 10_000), idleSec: Number(values["idle-sec"] ?? 600), log });
else if (what === "slow") figures = await runSlow({ seconds: Number(values.seconds ?? 60), log });
else {
  console.error("usage: bun server/reliability/run.ts crash|faults|slow|idle [--cycles N] [--cluster] [--conns N --idle-sec S]");
  process.exit(64);
}
console.log(JSON.stringify(figures, null, 2));
