// Preloaded by server/startup-modules.test.ts: at exit, writes the path of every module the process loaded
// (require.cache holds ES modules too) to $PARLEY_LOADED_MODULES, one a line.

import { writeFileSync } from "node:fs";

const out = process.env.PARLEY_LOADED_MODULES;
if (out) process.on("exit", () => writeFileSync(out, Object.keys(require.cache).join("\n")));
