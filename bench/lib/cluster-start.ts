// Starts a cluster target (--nodes) with the cluster kit: N compiled nodes, one fresh PostgreSQL database, a Redis of their own, HAProxy in front; finds where each connection lands.
import { SQL } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { type Cluster, startCluster } from "../../server/test/cluster";
import { Conn, wsUrlOf } from "./client";
import { type ClusterInfo, type ClusterSpec, describe } from "./cluster";
import { type Progress, pool } from "./progress";
import { cpuSeconds, type Target } from "./target";

/**
 * Settings on top of the kit's (nodeArgs: cheap hashing, lifted HTTP limits, --trust-proxy): the
 * single-node bench's --bench-mode and a token that outlives the run. Later flags win.
 */
const BENCH_ARGS = ["--bench-mode", "--access-ttl", "86400", "--registration", "open"];
/** libSQL and no bus: the node ignores the kit's database and Redis (they stay idle) and is the single binary as shipped. */
const LIBSQL_ARGS = ["--db", "", "--bus", ""];

/** Child processes of this process: pid and argv. The kit spawns nodes, Redis and HAProxy as our direct children. */
function children(): { pid: number; argv: string[] }[] {
  const pids = new Set<number>();
  for (const t of readdirSync("/proc/self/task")) {
    try {
      for (const p of readFileSync(`/proc/self/task/${t}/children`, "utf8").split(" ").filter(Boolean)) pids.add(Number(p));
    } catch {
      /* the thread ended */
    }
  }
  return [...pids].flatMap((pid) => {
    try {
      return [{ pid, argv: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean) }];
    } catch {
      return [];
    }
  });
}

/** One command on HAProxy's stats socket; it answers and closes. */
function statsCommand(sock: string, command: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    Bun.connect({
      unix: sock,
      socket: { open: (s) => void s.write(command + "\n"), data: (_s, d) => void (out += d.toString()), close: () => resolve(out), error: (_s, e) => reject(e), connectError: (_s, e) => reject(e) },
    }).catch(reject);
  });
}

/** Sessions each backend server of ours has ever been given (HAProxy's `stot`), by server name. */
async function sessionTotals(sock: string): Promise<Map<string, number>> {
  const lines = (await statsCommand(sock, "show stat")).split("\n").filter((l) => l.trim() !== "");
  const head = lines[0].replace(/^#\s*/, "").split(",");
  const [px, sv, stot] = ["pxname", "svname", "stot"].map((n) => head.indexOf(n));
  const out = new Map<string, number>();
  for (const f of lines.slice(1).map((l) => l.split(","))) {
    if (f[px] === "parley" && f[sv] !== "BACKEND" && f[sv] !== "FRONTEND") out.set(f[sv], Number(f[stot]));
  }
  return out;
}

function pin(pid: number, cpus: string): void {
  const r = Bun.spawnSync(["taskset", "-a", "-cp", cpus, String(pid)], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`taskset ${cpus} ${pid}: ${r.stderr.toString().trim()}`);
}

/** Starts the cluster and returns it as a bench target; stop() stops every process and drops the database. */
export async function startClusterTarget(spec: ClusterSpec, progress: Progress): Promise<Target & { cluster: ClusterInfo }> {
  if (spec.store === "libsql" && spec.nodes !== 1) throw new Error("--store libsql runs one node (a libSQL file is not shared between processes)");
  progress.set(`starting ${describe(spec)}`);
  const cluster: Cluster = await startCluster({ bus: "redis", size: spec.nodes, extra: [...BENCH_ARGS, ...(spec.store === "libsql" ? LIBSQL_ARGS : [])] });
  let pg: SQL | undefined;
  try {
    // HAProxy's process and stats socket: the kit starts it with `-f <dir>/haproxy.cfg` holding a `stats socket` line.
    const kids = children();
    const haproxy = kids.find((k) => k.argv[0]?.endsWith("haproxy"));
    const cfg = haproxy?.argv[haproxy.argv.indexOf("-f") + 1];
    const sock = cfg ? /^\s*stats socket (\S+)/m.exec(readFileSync(cfg, "utf8"))?.[1] : undefined;
    // Redis rewrites its command line to "redis-server 127.0.0.1:<port>".
    const redis = kids.find((k) => k.argv[0]?.includes("redis-server") && new RegExp(`\\b${cluster.broker.port}\\b`).test(k.argv.join(" ")));
    if (!haproxy || !sock || !redis) throw new Error(`could not find HAProxy (with its stats socket) or Redis among this process's children: ${JSON.stringify(kids.map((k) => k.argv.join(" ")))}`);
    if (spec.direct) await cluster.lb.stop(); // not in the path: keep it off the CPU too
    const procs = () => [
      ...cluster.nodes.map((n, i) => ({ name: `node${i + 1}`, pid: n.pid() })),
      ...(spec.direct ? [] : [{ name: "haproxy", pid: haproxy.pid }]),
      ...(spec.store === "postgres" ? [{ name: "redis", pid: redis.pid }] : []),
    ];
    // The generator pinned itself before the kit spawned these, and children inherit affinity: move them.
    if (spec.cpus !== undefined) for (const p of procs()) pin(p.pid, spec.cpus);
    if (spec.store === "postgres") {
      pg = new SQL({ url: cluster.dbUrl.replace(/\?.*$/, ""), max: 1 });
      await pg`select 1`;
    }
    const nodeNames = cluster.nodes.map((_, i) => `node${i + 1}`);
    // HAProxy names its servers parley1…parleyN in the nodes' order (deploy/haproxy.ts).
    const serverIndex = new Map(nodeNames.map((_, i) => [`parley${i + 1}`, i]));
    const url = spec.direct ? cluster.nodes[0].url : cluster.lb.url;
    const info: ClusterInfo = {
      topology: describe(spec),
      nodeNames,
      async connectAll(layout, count, rec, opts, prog, label) {
        const conns = Array.from({ length: count }, (_, i) =>
          new Conn(i, spec.direct ? cluster.nodes[i % cluster.nodes.length].wsUrl : wsUrlOf(cluster.lb.url), layout.accounts[i % layout.accounts.length].token, rec, opts));
        const node = new Array<number>(count).fill(-1);
        let n = 0;
        if (spec.direct) {
          await pool(conns, 64, async (c) => {
            await c.connect();
            node[c.idx] = c.idx % cluster.nodes.length;
            prog.set(`${label}: connected ${++n}/${count}`);
          });
          return { conns, node };
        }
        // Through HAProxy one at a time, so the one server whose session total grew is where that socket went.
        for (const c of conns) {
          const before = await sessionTotals(sock);
          await c.connect();
          const after = await sessionTotals(sock);
          const grew = [...after].filter(([name, v]) => v > (before.get(name) ?? 0));
          if (grew.length !== 1 || after.get(grew[0][0])! - before.get(grew[0][0])! !== 1) throw new Error(`connection ${c.idx}: cannot tell which node it landed on (HAProxy session totals moved on ${JSON.stringify(grew)})`);
          node[c.idx] = serverIndex.get(grew[0][0]) ?? -1;
          prog.set(`${label}: connected ${++n}/${count} (one at a time, placement read from HAProxy)`);
        }
        return { conns, node };
      },
      async cpu() {
        const all = procs();
        if (pg) {
          // PostgreSQL's backends for our database (not its shared WAL writer or checkpointer, nor other databases' work).
          const rows: { pid: number }[] = await pg`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
          for (const r of rows) all.push({ name: "postgres", pid: Number(r.pid) });
        }
        return all.flatMap((p) => {
          const seconds = cpuSeconds(p.pid);
          return seconds === undefined ? [] : [{ ...p, seconds }];
        });
      },
    };
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await pg?.close().catch(() => undefined);
      await cluster.stop();
    };
    const no = async () => {
      throw new Error("the cluster target does not restart its nodes");
    };
    return { kind: "cluster", url, pid: cluster.nodes[0].pid(), durable: true, restartable: false, kill: no, restart: no, stop, cluster: info };
  } catch (e) {
    await pg?.close().catch(() => undefined);
    await cluster.stop().catch(() => undefined);
    throw e;
  }
}
