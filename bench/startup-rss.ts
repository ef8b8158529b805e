// Start-up memory of a built binary (docs/benchmarks.md, "Start-up memory"):
//   bun bench/startup-rss.ts [binary=dist/parley] [starts=5] [ms after "listening"=2000] [-- server options]
// Starts it that many times, each on a new data directory and port 0 (the embedded defaults: a libSQL file,
// the in-process bus), reads VmRSS / RssAnon / RssFile from /proc/<pid>/status the given time after it logs
// "listening", stops it with SIGTERM; prints each start, every 100 ms of the first start, and the median.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dash = process.argv.indexOf("--");
const [bin = "dist/parley", starts = "5", settleMs = "2000"] = process.argv.slice(2, dash < 0 ? undefined : dash);
const extra = dash < 0 ? [] : process.argv.slice(dash + 1);

const mb = (kb: number) => (kb / 1024).toFixed(1);
function status(pid: number) {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
}

const rss: number[] = [];
for (let i = 0; i < Number(starts); i++) {
  const dir = mkdtempSync(join(tmpdir(), "parley-rss-"));
  const p = Bun.spawn([bin, "--host", "127.0.0.1", "--port", "0", "--data", dir, ...extra], { stdout: "pipe", stderr: "inherit" });
  const series: string[] = [];
  const timer = setInterval(() => series.push(mb(status(p.pid).rss)), 100);
  const reader = p.stdout.getReader();
  let out = "";
  while (!out.includes('"listening"')) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the server exited before listening:\n" + out);
    out += new TextDecoder().decode(value);
  }
  series.push("listening");
  await Bun.sleep(Number(settleMs));
  clearInterval(timer);
  const s = status(p.pid);
  rss.push(s.rss);
  console.log(`start ${i + 1}: VmRSS ${mb(s.rss)} MB (anon ${mb(s.anon)}, file ${mb(s.file)})`);
  if (i === 0) console.log(`  every 100 ms, MB: ${series.join(" ")}`);
  p.kill("SIGTERM");
  await p.exited;
  rmSync(dir, { recursive: true, force: true });
}
rss.sort((a, b) => a - b);
console.log(`median of ${rss.length}: ${mb(rss[Math.floor(rss.length / 2)])} MB`);
