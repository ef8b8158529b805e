// Entry point: the only file that reads argv/env. `parley [options]` serves; `parley bench …` benchmarks.

import { ConfigError, helpText, loadConfig } from "./config";
import { createContext } from "./context";
import { listen } from "./serve";
// Each command's modules (bench, backup, migrate-store, the admin and ops commands) are imported when
// that command runs: the server never loads them (start-up memory, docs/benchmarks.md). A string
// literal in import() keeps them in the compiled binary; test: server/startup-modules.test.ts.

async function serve(argv: string[]) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(helpText());
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`parley: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const ctx = await createContext(config);
  if (config.benchMode) ctx.log.warn("BENCH MODE: rate limits lifted and password hashing weakened. Never use this for real users.", { host: config.host });
  const running = listen(ctx);
  let signals = 0;
  const shutdown = async (signal: string) => {
    if (++signals > 1) process.exit(1);
    ctx.log.info("shutting down", { signal });
    const force = setTimeout(() => {
      ctx.log.error("shutdown timed out");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    await running.stop();
    clearTimeout(force);
    ctx.log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // Logged once the handlers are in place: whoever waits for this line may stop the server at once.
  ctx.log.info("listening", { url: running.url, data: config.dataDir });
  // Start-up's garbage and compiled code (parsing the bundle, migrations, config) are not needed
  // again: one shrink (JSC: drop compiled code, full collection, return free memory) gives back ~3 MB.
  setImmediate(() => Bun.shrink());
}

/** `parley backup [options] <file>`: the same settings as the server, then the target file. */
async function runBackup(argv: string[]) {
  const target = argv.at(-1);
  if (!target || target.startsWith("--")) {
    console.error("usage: parley backup [--data DIR | --db URL] <file>");
    process.exit(2);
  }
  try {
    const { backup } = await import("./features/ops/backup");
    const out = await backup(loadConfig(argv.slice(0, -1), process.env), target);
    console.log(`backup written to ${out}`);
  } catch (e) {
    console.error(`parley backup: ${(e as Error).message}`);
    process.exit(1);
  }
}

const MIGRATE_USAGE = "usage: parley migrate-store --from <url|file> --to <url|file> [--uploads DIR]";

/** `parley migrate-store --from <url> --to <url>`: copies every table into an empty database (libSQL → PostgreSQL to scale out). */
async function runMigrateStore(argv: string[]) {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    // Split at the first "=" only: a URL's query has its own (postgres://…?max=4).
    const eq = argv[i].indexOf("=");
    const flag = eq < 0 ? argv[i] : argv[i].slice(0, eq);
    const name = flag.replace(/^--/, "");
    const v = eq < 0 ? argv[++i] : argv[i].slice(eq + 1);
    if (!["from", "to", "uploads"].includes(name) || !flag.startsWith("--") || v === undefined || opts[name] !== undefined) {
      console.error(MIGRATE_USAGE);
      process.exit(2);
    }
    opts[name] = v;
  }
  if (!opts.from || !opts.to) {
    console.error(MIGRATE_USAGE);
    process.exit(2);
  }
  try {
    const { migrateStore } = await import("./features/ops/migrate-store");
    await migrateStore({ from: opts.from, to: opts.to, uploadsDir: opts.uploads, print: (l) => console.log(l) });
  } catch (e) {
    console.error(`parley migrate-store: ${(e as Error).message}`);
    process.exit(1);
  }
}

/** The first line of stdin, or a prompt on a terminal: a password never goes on the command line. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) return prompt("password:") ?? "";
  return (await Bun.stdin.text()).split(/\r?\n/)[0];
}

/** `parley invite create …` and `parley user …` (features/ops/admin-cli.ts): the server's settings pick the store. */
async function runAdmin(argv: string[]) {
  const { ADMIN_USAGE, runAdminCommand, splitArgs, UsageError } = await import("./features/ops/admin-cli");
  if (argv.includes("--help") || argv.includes("-h")) return console.log(ADMIN_USAGE);
  try {
    const { opts, positional, rest } = splitArgs(argv, { "--uses": "value", "--expires": "value", "--room": "list", "--admin": "flag", "--display-name": "value" });
    await runAdminCommand(loadConfig(rest, process.env), positional, opts, readPassword, (l) => console.log(l));
  } catch (e) {
    console.error(`parley: ${(e as Error).message}`);
    process.exit(e instanceof UsageError || e instanceof ConfigError ? 2 : 1);
  }
}

const argv = process.argv.slice(2);
/** Whether `cmd` names an ops command (features/ops/commands.ts); a flag or nothing means serve, without loading them. */
async function isOpsCommand(cmd = ""): Promise<boolean> {
  if (cmd === "" || cmd.startsWith("-")) return false;
  return Object.hasOwn((await import("./features/ops/commands")).OPS_COMMANDS, cmd) || cmd === "doctor";
}
if (argv[0] === "bench") {
  const { main } = await import("../bench/cli");
  process.exit(await main(argv.slice(1)));
} else if (argv[0] === "backup") {
  await runBackup(argv.slice(1));
} else if (argv[0] === "invite" || argv[0] === "user") {
  await runAdmin(argv);
} else if (await isOpsCommand(argv[0])) {
  const { runOpsCommand } = await import("./features/ops/commands");
  process.exit(await runOpsCommand(argv[0], argv.slice(1), (l) => console.log(l), (l) => console.error(l)));
} else if (argv[0] === "migrate-store") {
  if (argv.includes("--help") || argv.includes("-h")) console.log(MIGRATE_USAGE);
  else await runMigrateStore(argv.slice(1));
} else {
  await serve(argv);
}
