// Deploy files agree with the program: settings it accepts, paths it answers, an HAProxy that accepts the cfg.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { ServerWebSocket } from "bun";
import { buildBinary } from "../server/build";
import { loadConfig } from "../server/config";
import { spawnServer, startServer, tempDir } from "../server/test/harness";
import { HAPROXY_CFG, haproxyConfig } from "./haproxy";

const DEPLOY = import.meta.dir;
const ROOT = join(DEPLOY, "..");
const K8S = join(DEPLOY, "k8s");
const WAIT_MS = 15_000;

const temps: string[] = [];
/** Processes a test started; killed again here even if the test ended by an uncaught error. */
const children: { kill(): void }[] = [];
afterAll(() => {
  for (const p of children) p.kill();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function temp(prefix: string): string {
  const d = tempDir(prefix);
  temps.push(d);
  return d;
}

// ---- what the binary accepts: `parley --help` is the source of truth ---------------------------

interface Accepted {
  /** flag → whether it takes a value */
  flags: Map<string, boolean>;
  envs: Set<string>;
}
let accepted: Accepted | undefined;
function settings(): Accepted {
  if (accepted) return accepted;
  const p = Bun.spawnSync([process.execPath, join(ROOT, "server/main.ts"), "--help"], { cwd: ROOT });
  if (p.exitCode !== 0) throw new Error("parley --help failed: " + p.stderr.toString());
  const flags = new Map<string, boolean>();
  const envs = new Set<string>();
  for (const line of p.stdout.toString().split("\n")) {
    // "  --port <v>   PORT   meaning" and "  --bench-mode   PARLEY_BENCH_MODE   meaning"
    const m = /^\s+(--[a-z0-9-]+)( <v>)?(?:\s+([A-Z][A-Z0-9_]*)\b)?/.exec(line);
    if (!m) continue;
    flags.set(m[1], m[2] !== undefined);
    if (m[3]) envs.add(m[3]);
  }
  if (envs.size < 10 || !envs.has("DATABASE_URL") || !flags.has("--db")) throw new Error("could not read the settings table from parley --help");
  return (accepted = { flags, envs });
}

/** Flags in an argument list that the binary would refuse ("--x=v" and "--x v" forms). */
function unknownFlags(args: string[]): string[] {
  const { flags } = settings();
  const bad: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith("-")) continue;
    const [flag, inline] = args[i].split("=", 2);
    if (!flags.has(flag)) bad.push(args[i]);
    else if (flags.get(flag) && inline === undefined) i++;
  }
  return bad;
}

// ---- the files --------------------------------------------------------------------------------

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}
const YAML_FILES = filesUnder(DEPLOY).filter((f) => /\.ya?ml$/.test(f));

/** Every document of a YAML file (a `---` separated file gives several; comment-only ones are dropped). */
function yamlDocs(file: string): any[] {
  const text = readFileSync(file, "utf8");
  const v = Bun.YAML.parse(text);
  return (/^---\s*$/m.test(text) && Array.isArray(v) ? v : [v]).filter((d) => d != null);
}

const compose = () => yamlDocs(join(DEPLOY, "compose.yaml"))[0];
const k8sDocs = () =>
  readdirSync(K8S)
    .filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml")
    .flatMap((f) => yamlDocs(join(K8S, f)).map((doc) => ({ file: f, doc })));
const k8sKind = (kind: string) => k8sDocs().filter((d) => d.doc.kind === kind).map((d) => d.doc);

/** Services built from deploy/Dockerfile (or running its image): the Parley nodes. */
function parleyServices(): [string, any][] {
  return Object.entries<any>(compose().services).filter(([, s]) => s.build?.dockerfile === "deploy/Dockerfile" || String(s.image ?? "").startsWith("parley"));
}
function composeEnv(s: any): Record<string, string> {
  const e = s.environment ?? {};
  if (!Array.isArray(e)) return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(e.map((kv: string) => [kv.split("=")[0], kv.slice(kv.indexOf("=") + 1)]));
}

function parleyContainers(): { workload: any; pod: any; container: any }[] {
  const out: { workload: any; pod: any; container: any }[] = [];
  for (const { doc } of k8sDocs()) {
    const pod = doc.kind === "Pod" ? doc.spec : doc.spec?.template?.spec;
    for (const c of pod?.containers ?? []) if (c.name === "parley" || String(c.image).startsWith("parley")) out.push({ workload: doc, pod, container: c });
  }
  return out;
}
/** Every env name a container gets: env entries plus every key of the ConfigMaps and Secrets in envFrom. */
function k8sEnv(c: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? "ConfigMap" : "Secret";
    const doc = k8sKind(kind).find((d) => d.metadata.name === ref.name);
    if (!doc) throw new Error(`envFrom ${kind} ${ref.name} is not in deploy/k8s`);
    Object.assign(env, doc.data ?? {}, doc.stringData ?? {});
  }
  for (const e of c.env ?? []) env[e.name] = e.value ?? "";
  return env;
}

interface Instruction {
  op: string;
  args: string;
}
/** Dockerfile → stages of instructions (continuation lines joined, comments dropped). */
function dockerStages(): Instruction[][] {
  const lines: string[] = [];
  let cur = "";
  for (const raw of readFileSync(join(DEPLOY, "Dockerfile"), "utf8").split("\n")) {
    if (/^\s*#/.test(raw)) continue;
    const cont = raw.endsWith("\\");
    cur += (cur ? " " : "") + (cont ? raw.slice(0, -1) : raw).trim();
    if (!cont) {
      if (cur) lines.push(cur);
      cur = "";
    }
  }
  const stages: Instruction[][] = [];
  for (const l of lines) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(l)!;
    const ins = { op: op.toUpperCase(), args };
    if (ins.op === "FROM") stages.push([]);
    stages.at(-1)?.push(ins);
  }
  return stages;
}
const finalStage = () => dockerStages().at(-1)!;
const healthcheckCmd = () => {
  const hc = finalStage().find((i) => i.op === "HEALTHCHECK");
  return hc ? /\bCMD\s+(.*)$/.exec(hc.args)?.[1] : undefined;
};

function haproxyBin(): string {
  const bin = Bun.which("haproxy", { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/usr/local/sbin` });
  if (!bin) throw new Error("haproxy is not installed (expected /usr/sbin/haproxy): these checks need the real HAProxy 2.6");
  return bin;
}

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Resolves when `cond()` holds, re-checked on every `poke()`; rejects after `ms`. */
function waiter() {
  const pending: { cond: () => boolean; resolve: () => void }[] = [];
  return {
    poke() {
      for (const p of [...pending]) if (p.cond()) (pending.splice(pending.indexOf(p), 1), p.resolve());
    },
    until(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
      if (cond()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
        pending.push({ cond, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
  };
}

// ---- the rules --------------------------------------------------------------------------------

describe("deploy files", () => {
  test("DEPLOY-1 every YAML file under deploy/ parses, multi-document files included", () => {
    expect(YAML_FILES.map((f) => relative(DEPLOY, f)).sort()).toEqual(expect.arrayContaining(["compose.yaml", "k8s/deployment.yaml", "k8s/kustomization.yaml"]));
    for (const f of YAML_FILES) {
      const docs = yamlDocs(f);
      expect(docs.length).toBeGreaterThan(0);
      for (const d of docs) expect(typeof d).toBe("object");
    }
    // Every Kubernetes document says what it is.
    for (const { file, doc } of k8sDocs()) {
      expect(`${file}: ${typeof doc.apiVersion} ${typeof doc.kind} ${typeof doc.metadata?.name}`).toBe(`${file}: string string string`);
    }
  });

  test("DEPLOY-2 every env variable and flag given to a Parley container is a setting of `parley --help`, with a value it accepts", () => {
    const { envs } = settings();
    const services = parleyServices();
    expect(services.length).toBe(3);
    const containers = parleyContainers();
    expect(containers.length).toBeGreaterThan(0);
    const stage = finalStage();
    const split = (cmd: unknown) => (cmd === undefined ? [] : Array.isArray(cmd) ? cmd.map(String) : String(cmd).split(/\s+/));
    const given: Record<string, { env: Record<string, string>; args: string[] }> = {
      ...Object.fromEntries(services.map(([name, s]) => [`compose ${name}`, { env: composeEnv(s), args: split(s.command) }])),
      ...Object.fromEntries(containers.map(({ workload, container: c }) => [`k8s ${workload.metadata.name}`, { env: k8sEnv(c), args: [...split(c.command).slice(1), ...split(c.args)] }])),
      Dockerfile: {
        env: Object.fromEntries(stage.filter((i) => i.op === "ENV").flatMap((i) => [...i.args.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1], m[2]]))),
        args: stage.filter((i) => i.op === "ENTRYPOINT" || i.op === "CMD").flatMap((i) => (JSON.parse(i.args) as string[]).slice(i.op === "ENTRYPOINT" ? 1 : 0)),
      },
    };
    const entries = Object.entries(given);
    expect(entries.flatMap(([where, g]) => Object.keys(g.env).filter((n) => !envs.has(n)).map((n) => `${where}: ${n}`))).toEqual([]);
    expect(entries.flatMap(([where, g]) => unknownFlags(g.args).map((f) => `${where}: ${f}`))).toEqual([]);

    // The values pass the binary's own validation too, placeholders filled in as an operator would
    // (a host name in PARLEY_TRUST_PROXY, say, would stop every node at start).
    const sample = (name: string, value: string) =>
      name === "PARLEY_JWT_SECRET" && /REPLACE_ME|\$\{/.test(value) ? "s".repeat(40) : value.replace(/\$\{(\w+)[^}]*\}/g, "sample").replaceAll("REPLACE_ME", "sample");
    for (const [where, g] of entries) {
      let error = "";
      try {
        loadConfig(g.args, Object.fromEntries(Object.entries(g.env).map(([k, v]) => [k, sample(k, v)])));
      } catch (e) {
        error = (e as Error).message;
      }
      expect({ where, error }).toEqual({ where, error: "" });
    }
    // A cluster needs these on every node.
    for (const [where, g] of entries) {
      if (where === "Dockerfile") continue;
      expect({ where, missing: ["DATABASE_URL", "PARLEY_BUS_URL", "PARLEY_JWT_SECRET", "PARLEY_TRUST_PROXY"].filter((n) => !(n in g.env)) }).toEqual({ where, missing: [] });
    }
  });

  test("DEPLOY-3 probes and health checks ask for paths the server answers: readiness and the balancer /readyz, liveness /healthz", async () => {
    const [{ container }] = parleyContainers();
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    const haproxyUri = /http-check send .*\buri (\S+)/.exec(readFileSync(HAPROXY_CFG, "utf8"))?.[1];
    expect(haproxyUri).toBe("/readyz");
    const dockerPath = /"(\/[\w/-]*)"/.exec(healthcheckCmd() ?? "")?.[1];
    expect(dockerPath).toBe("/healthz");

    // Every probe targets the port the container listens on.
    const port = Number(k8sEnv(container).PORT ?? 3000);
    const paths = new Set<string>([haproxyUri!, dockerPath!]);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const get = container[probe]?.httpGet;
      if (!get) continue;
      paths.add(get.path);
      const named = container.ports.find((p: any) => p.name === get.port || p.containerPort === get.port);
      expect({ probe, port: named?.containerPort }).toEqual({ probe, port });
    }
    const srv = await startServer();
    try {
      for (const path of paths) expect({ path, status: (await fetch(srv.url + path)).status }).toEqual({ path, status: 200 });
    } finally {
      await srv.stop();
    }
  });

  test("DEPLOY-4 Dockerfile: `make build` steps on the pinned Bun, then only the binary on a slim base, as a numeric non-root user, with a HEALTHCHECK", () => {
    const stages = dockerStages();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const dockerfile = readFileSync(join(DEPLOY, "Dockerfile"), "utf8");
    const makeBun = /^BUN_VERSION\s*:=\s*(\S+)/m.exec(readFileSync(join(ROOT, "Makefile"), "utf8"))?.[1];
    expect(/^ARG BUN_VERSION=(\S+)/m.exec(dockerfile)?.[1]).toBe(makeBun);
    expect(stages[0][0].args).toMatch(/^oven\/bun:\$\{BUN_VERSION\} AS build$/);
    const buildRuns = stages[0].filter((i) => i.op === "RUN").map((i) => i.args).join(" && ");
    for (const step of ["bun install --frozen-lockfile", "bun x vite build --config web/vite.config.ts", "bun server/build.ts"]) expect(buildRuns).toContain(step);
    expect(buildRuns.indexOf("vite build")).toBeLessThan(buildRuns.indexOf("server/build.ts")); // the client is embedded

    const final = finalStage();
    const arg = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);
    expect(arg("FROM")[0]).toMatch(/^(debian:bookworm-slim|gcr\.io\/distroless\/cc-debian12\S*)$/);
    expect(arg("COPY")).toEqual(["--from=build /src/dist/parley /usr/local/bin/parley"]);
    const user = arg("USER").at(-1) ?? "";
    const uid = user.split(":")[0];
    expect(uid).toMatch(/^\d+$/); // numeric, so runAsNonRoot can verify it
    expect(Number(uid)).toBeGreaterThan(0);
    expect(parleyContainers()[0].pod.securityContext.runAsUser).toBe(Number(uid));
    expect(arg("EXPOSE")).toEqual(["3000"]);
    expect(arg("VOLUME")).toEqual(["/data"]);
    expect(arg("ENV").join(" ")).toContain("PARLEY_DATA_DIR=/data");
    expect(healthcheckCmd()).toContain("/healthz");
    expect(JSON.parse(arg("ENTRYPOINT")[0])).toEqual(["/usr/local/bin/parley"]);
    // The build context stays small and never carries local secrets or databases.
    const ignore = readFileSync(join(DEPLOY, "Dockerfile.dockerignore"), "utf8").split("\n");
    for (const p of ["node_modules", ".git", "data", "dist", "deploy/.env"]) expect(ignore).toContain(p);
  });

  test("DEPLOY-5 the image's HEALTHCHECK command passes against the running compiled binary and fails once it stops", async () => {
    const cmd = healthcheckCmd()!;
    expect(cmd).toContain("/usr/local/bin/parley");
    const dir = temp("parley-deploy-bin-");
    const bin = await buildBinary(join(dir, "parley"));
    const check = (port: number) =>
      Bun.spawn(["/bin/sh", "-c", cmd.replaceAll("/usr/local/bin/parley", bin)], { env: { PATH: "/usr/bin:/bin", PORT: String(port) }, stdout: "ignore", stderr: "ignore" }).exited;
    const srv = await spawnServer([bin, "--host", "127.0.0.1", "--port", "0", "--data", join(dir, "data")], {}, dir);
    children.push(srv.proc);
    const port = Number(new URL(srv.url).port);
    try {
      expect(await check(port)).toBe(0);
    } finally {
      srv.proc.kill("SIGTERM");
      expect(await srv.proc.exited).toBe(0);
    }
    expect(await check(port)).toBe(1);
  }, 60_000);

  test("DEPLOY-6 `haproxy -c` accepts deploy/haproxy.cfg as is and pointed at 127.0.0.1 (fails when haproxy is missing)", () => {
    const bin = haproxyBin();
    const asIs = Bun.spawnSync([bin, "-c", "-f", HAPROXY_CFG]);
    expect({ code: asIs.exitCode, err: asIs.exitCode ? asIs.stderr.toString() : "" }).toEqual({ code: 0, err: "" });
    const dir = temp("parley-haproxy-");
    const cfg = join(dir, "haproxy.cfg");
    writeFileSync(cfg, haproxyConfig([3001, 3002, 3003].map((port) => ({ host: "127.0.0.1", port })), 18080));
    const local = Bun.spawnSync([bin, "-c", "-f", cfg]);
    expect({ code: local.exitCode, out: local.stdout.toString().trim(), err: local.stderr.toString().replace(/\[NOTICE\].*\n/g, "") }).toEqual({ code: 0, out: "Configuration file is valid", err: "" });
  });

  test("DEPLOY-7 haproxyConfig changes only the frontend's bind line and the server lines", () => {
    const original = readFileSync(HAPROXY_CFG, "utf8").split("\n");
    const out = haproxyConfig([{ host: "127.0.0.1", port: 4001 }, { host: "10.0.0.2", port: 4002 }, { host: "::1", port: 4003 }, { host: "127.0.0.1", port: 4004 }], 9999).split("\n");
    const kept = (lines: string[]) => lines.filter((l) => !/^\s+server\s/.test(l) && !/^\s+bind :\S+$/.test(l));
    expect(kept(out)).toEqual(kept(original));
    expect(out.filter((l) => /^\s+server\s/.test(l)).map((l) => l.trim())).toEqual(["server parley1 127.0.0.1:4001", "server parley2 10.0.0.2:4002", "server parley3 ipv6@::1:4003", "server parley4 127.0.0.1:4004"]);
    expect(out.filter((l) => /^\s+bind\s/.test(l)).map((l) => l.trim())).toEqual(["bind :9999", "bind 127.0.0.1:8404"]); // the (disabled) stats bind is not touched
    expect(haproxyConfig([{ host: "127.0.0.1", port: 1 }], 2, "127.0.0.1")).toContain("    bind 127.0.0.1:2\n");
    expect(() => haproxyConfig([], 2)).toThrow();
    expect(() => haproxyConfig([{ host: "a", port: 70000 }], 2)).toThrow();
  });

  test("DEPLOY-8 HAProxy with these settings: the /readyz check (HTTP/1.1, Host) takes a 503 node out; HTTP and WebSocket reach the ready one with X-Forwarded-For", async () => {
    const bin = haproxyBin();
    const w = waiter();
    type Seen = { checks: number; checkHosts: string[]; requests: number; forwardedFor: string[] };
    const backend = (ready: boolean, seen: Seen) =>
      Bun.serve<undefined>({
        hostname: "127.0.0.1",
        port: 0,
        fetch(req, server) {
          // Without a Host header Bun gives a bare path as req.url and `new URL` throws: an app
          // (Elysia too) then answers 500, which is why the check must send Host.
          let path: string;
          try {
            path = new URL(req.url).pathname;
          } catch {
            return new Response("no host", { status: 500 });
          }
          if (path === "/readyz") {
            seen.checks++;
            seen.checkHosts.push(req.headers.get("host") ?? "");
            queueMicrotask(() => w.poke());
            return new Response(ready ? "ready" : "draining", { status: ready ? 200 : 503 });
          }
          seen.requests++;
          seen.forwardedFor.push(req.headers.get("x-forwarded-for") ?? "");
          if (path === "/ws" && server.upgrade(req)) return;
          return new Response(ready ? "ready node" : "draining node");
        },
        websocket: {
          message(ws: ServerWebSocket<undefined>, m) {
            ws.send(`echo ${m}`);
          },
        },
      });
    const good: Seen = { checks: 0, checkHosts: [], requests: 0, forwardedFor: [] };
    const bad: Seen = { checks: 0, checkHosts: [], requests: 0, forwardedFor: [] };
    const a = backend(true, good);
    const b = backend(false, bad);
    const dir = temp("parley-haproxy-run-");
    const cfg = join(dir, "haproxy.cfg");
    const port = freePort();
    writeFileSync(cfg, haproxyConfig([{ host: "127.0.0.1", port: a.port! }, { host: "127.0.0.1", port: b.port! }], port, "127.0.0.1"));
    const proc = Bun.spawn([bin, "-db", "-f", cfg], { stdout: "ignore", stderr: "pipe" });
    children.push(proc);
    try {
      // Fall 2 at 1 s: once the failing node has answered a third check, it is out of rotation.
      await w.until(() => good.checks >= 1 && bad.checks >= 3, "health checks on both backends");
      expect(new Set([...good.checkHosts, ...bad.checkHosts])).toEqual(new Set(["parley"]));
      const before = bad.requests;
      for (let i = 0; i < 6; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/api/anything`);
        expect({ status: r.status, body: await r.text() }).toEqual({ status: 200, body: "ready node" });
      }
      expect(bad.requests).toBe(before);
      expect(good.forwardedFor.at(-1)).toBe("127.0.0.1");

      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const reply = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("no WebSocket echo through HAProxy")), WAIT_MS);
        ws.onopen = () => ws.send("hello");
        ws.onmessage = (e) => (clearTimeout(t), resolve(String(e.data)));
        ws.onerror = () => (clearTimeout(t), reject(new Error("WebSocket through HAProxy failed")));
      });
      expect(reply).toBe("echo hello");
      ws.close();
    } catch (e) {
      proc.kill();
      throw new Error(`${(e as Error).message}\nhaproxy stderr:\n${await new Response(proc.stderr).text()}`);
    } finally {
      proc.kill();
      await proc.exited;
      a.stop(true);
      b.stop(true);
    }
  }, 30_000);

  test("DEPLOY-9 compose: nodes wait for healthy PostgreSQL and Redis, trust HAProxy's fixed address, drain before SIGKILL", () => {
    const c = compose();
    const services = c.services;
    const nodes = parleyServices();
    const hasHealthcheck = (name: string) => services[name].healthcheck?.test !== undefined || (services[name].build?.dockerfile === "deploy/Dockerfile" && healthcheckCmd() !== undefined);
    for (const [name, s] of Object.entries<any>(services)) {
      for (const [dep, cond] of Object.entries<any>(s.depends_on ?? {})) {
        expect(services[dep]).toBeDefined();
        if (cond.condition === "service_healthy") expect({ name, dep, healthcheck: hasHealthcheck(dep) }).toEqual({ name, dep, healthcheck: true });
      }
    }
    expect(services.postgres.image).toBe("postgres:15");
    expect(services.redis.image).toBe("redis:7");
    expect(services.haproxy.image).toBe("haproxy:2.6");
    expect(services.haproxy.volumes).toContain("./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    const cfg = readFileSync(HAPROXY_CFG, "utf8");
    const bindPort = /^frontend\b[\s\S]*?^\s+bind \S*:(\d+)/m.exec(cfg)?.[1];
    expect(services.haproxy.ports).toContain(`${bindPort}:${bindPort}`);
    const haproxyIp = services.haproxy.networks.parley.ipv4_address;
    const subnet: string = c.networks.parley.ipam.config[0].subnet;
    expect(haproxyIp.startsWith(subnet.split("/")[0].replace(/\.0$/, "."))).toBe(true);
    // HAProxy's servers are exactly the nodes, on the port they listen on.
    const servers = [...cfg.matchAll(/^\s+server \S+ (\S+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    for (const [name, s] of nodes) {
      expect(s.build).toEqual({ context: "..", dockerfile: "deploy/Dockerfile" });
      expect(existsSync(join(DEPLOY, s.build.context, s.build.dockerfile))).toBe(true);
      expect(s.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
      const env = composeEnv(s);
      expect(env.PARLEY_TRUST_PROXY).toBe(haproxyIp);
      expect(env.DATABASE_URL).toStartWith("postgres://");
      expect(env.DATABASE_URL).toContain("@postgres:5432/");
      expect(env.PARLEY_BUS_URL).toBe("redis://redis:6379");
      expect(env.PARLEY_JWT_SECRET).toMatch(/^\$\{PARLEY_JWT_SECRET:\?/); // from deploy/.env, refused when unset
      expect(servers).toContain(`${name}:${env.PORT ?? 3000}`);
      expect(Number(/^(\d+)s$/.exec(s.stop_grace_period)?.[1]) * 1000).toBeGreaterThan(Number(env.PARLEY_SHUTDOWN_TIMEOUT ?? 10000));
      if (s.read_only) expect(s.tmpfs).toContainEqual(expect.stringMatching(/^\/tmp:(.*,)?exec\b/)); // the native addon is loaded from /tmp
    }
    expect(servers.length).toBe(nodes.length);
    expect(readFileSync(join(DEPLOY, ".gitignore"), "utf8").split("\n")).toContain(".env");
  });

  test("DEPLOY-10 k8s: grace period covers preStop + drain, non-root with a read-only root and writable /tmp, selectors and PDB agree, kustomization lists the manifests", () => {
    const [deployment] = k8sKind("Deployment");
    const { pod, container } = parleyContainers()[0];
    const labels = deployment.spec.template.metadata.labels;
    const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    expect(deployment.spec.replicas).toBe(3);

    const preStop = container.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe("sleep");
    const shutdownMs = Number(k8sEnv(container).PARLEY_SHUTDOWN_TIMEOUT ?? 10000);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(preStop[1]) * 1000 + shutdownMs);

    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const mountAt = (path: string) => pod.volumes.find((v: any) => v.name === container.volumeMounts.find((m: any) => m.mountPath === path)?.name);
    expect(mountAt("/tmp")?.emptyDir).toBeDefined();
    // Uploads and keys live in PostgreSQL: the data directory is per-pod scratch, no shared (ReadWriteMany) claim.
    expect(mountAt(k8sEnv(container).PARLEY_DATA_DIR)?.emptyDir).toBeDefined();
    expect(k8sKind("PersistentVolumeClaim")).toEqual([]);
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();

    const [service] = k8sKind("Service");
    expect(matches(service.spec.selector)).toBe(true);
    expect(container.ports.map((p: any) => p.name)).toContain(service.spec.ports[0].targetPort);
    const [pdb] = k8sKind("PodDisruptionBudget");
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);
    const [ingress] = k8sKind("Ingress");
    for (const k of ["proxy-read-timeout", "proxy-send-timeout"]) expect(Number(ingress.metadata.annotations[`nginx.ingress.kubernetes.io/${k}`])).toBeGreaterThanOrEqual(3600);
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend).toEqual({ name: service.metadata.name, port: { name: service.spec.ports[0].name } });

    // The Secret is a template the operator fills in: it is not applied by kustomize (it would
    // overwrite the real one) and its placeholders cannot start a server.
    const [secret] = k8sKind("Secret");
    for (const v of Object.values<string>(secret.stringData)) expect(v).toContain("REPLACE_ME");
    expect(secret.stringData.PARLEY_JWT_SECRET.length).toBeLessThan(32);
    const kustomization = yamlDocs(join(K8S, "kustomization.yaml"))[0];
    const manifests = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml" && f !== "secret.yaml");
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
    expect(kustomization.images.map((i: any) => i.name)).toContain(container.image);
  });
});
