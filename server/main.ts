// Entry point: the only file that reads argv/env. `parley [options]` serves; `parley bench …` benchmarks.

import { ConfigError, helpText, loadConfig } from "./config";
import { createContext } from "./context";
import { listen } from "./serve";
import { backup } from "./features/ops/backup";

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
  ctx.log.info("listening", { url: running.url, data: config.dataDir });
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
}

/** `parley backup [options] <file>`: the same settings as the server, then the target file. */
async function runBackup(argv: string[]) {
  const target = argv.at(-1);
  if (!target || target.startsWith("--")) {
    console.error("usage: parley backup [--data DIR | --db URL] <file>");
    process.exit(2);
  }
  try {
    const out = await backup(loadConfig(argv.slice(0, -1), process.env), target);
    console.log(`backup written to ${out}`);
  } catch (e) {
    console.error(`parley backup: ${(e as Error).message}`);
    process.exit(1);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === "bench") {
  const { main } = await import("../bench/cli");
  process.exit(await main(argv.slice(1)));
} else if (argv[0] === "backup") {
  await runBackup(argv.slice(1));
} else {
  await serve(argv);
}
