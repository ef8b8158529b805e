// The operator commands that take the server's settings (--data, --db, …) to find the store: export, import, restore, migrate, doctor.

import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, loadConfig, type Config } from "../../config";
import { localPath } from "../../adapters/store/libsql-connection";
import { splitArgs, UsageError } from "./admin-cli";
import { doctor, formatCheck } from "./doctor";
import { exportData } from "./export";
import { importData } from "./import";
import { migrate, restore } from "./restore";
import { reason } from "./migrate-store";

/** Where a libSQL file is to be made (import, restore, migrate into a new data directory): its directory, owner-only like the server makes it. */
function ensureDir(config: Config) {
  const path = localPath(config.databaseUrl);
  if (path !== undefined) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
}

/** A command that reads the database must not create an empty one where the operator mistyped --data. */
function requireDatabase(config: Config) {
  const path = localPath(config.databaseUrl);
  if (path !== undefined && !existsSync(path)) throw new Error(`no database at ${path}`);
}

interface OpsCommand {
  usage: string;
  /** The one positional argument it takes (a directory or file), if any. */
  arg?: string;
  /** Returns the exit code. */
  run(config: ReturnType<typeof loadConfig>, arg: string, print: (l: string) => void): Promise<number>;
}

export const OPS_COMMANDS: Record<string, OpsCommand> = {
  export: {
    usage: "parley export [server options] <dir>", arg: "dir",
    async run(config, dir, print) {
      requireDatabase(config);
      const m = await exportData(config, dir, print);
      print(`exported ${Object.values(m.tables).reduce((a, b) => a + b, 0).toLocaleString("en-US")} rows and ${m.blobs} files into ${dir}`);
      return 0;
    },
  },
  import: {
    usage: "parley import [server options] <dir>", arg: "dir",
    async run(config, dir, print) {
      ensureDir(config);
      await importData(config, dir, print);
      return 0;
    },
  },
  restore: {
    usage: "parley restore [--data DIR | --db file:… | --db postgres://… (an empty database)] <backup-file>", arg: "file",
    async run(config, file, print) {
      ensureDir(config);
      (await restore(config, file)).forEach(print);
      return 0;
    },
  },
  migrate: {
    usage: "parley migrate [server options]",
    async run(config, _, print) {
      ensureDir(config);
      print(await migrate(config));
      return 0;
    },
  },
};

/** `parley doctor`: its own configuration check, so a bad setting is a `fail` line rather than a usage error. */
async function runDoctor(argv: string[], print: (l: string) => void): Promise<number> {
  const checks = await doctor(argv, process.env);
  checks.map(formatCheck).forEach(print);
  return checks.some((c) => c.level === "fail") ? 1 : 0;
}

/** Exit codes: 0 done, 1 failed (the reason on stderr), 2 usage. */
export async function runOpsCommand(name: string, argv: string[], print: (l: string) => void, printErr: (l: string) => void): Promise<number> {
  if (name === "doctor") {
    if (argv.includes("--help") || argv.includes("-h")) return print("usage: parley doctor [server options]"), 0;
    return runDoctor(argv, print);
  }
  const cmd = OPS_COMMANDS[name];
  if (argv.includes("--help") || argv.includes("-h")) return print(`usage: ${cmd.usage}`), 0;
  try {
    const { positional, rest } = splitArgs(argv, {});
    if (positional.length !== (cmd.arg ? 1 : 0)) throw new UsageError(`usage: ${cmd.usage}`);
    return await cmd.run(loadConfig(rest, process.env), positional[0] ?? "", print);
  } catch (e) {
    printErr(`parley ${name}: ${reason(e)}`);
    return e instanceof UsageError || e instanceof ConfigError ? 2 : 1;
  }
}
