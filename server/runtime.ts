// The process's Logger, Clock and Ids (interfaces in ports/runtime.ts); createContext picks them unless overridden.
//
// They live beside context.ts rather than in it so that context.ts stays wiring only, and a test or
// tool that wants a real logger or ids need not import the composition root and every adapter with it.
// They live outside ports/ because ports hold interfaces and their guarantees, not implementations.

import type { Config } from "./config";
import type { Clock, Ids, Logger } from "./ports/runtime";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** JSON-lines logger on stdout (stderr for warn/error). */
export function createLogger(level: Config["logLevel"], base: Record<string, unknown> = {}): Logger {
  const min = LEVELS[level];
  const write = (lvl: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields });
    (lvl === "warn" || lvl === "error" ? process.stderr : process.stdout).write(line + "\n");
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Bytes ≥ 248 are skipped so every character is equally likely (248 = 4 × 62). */
const UNBIASED_BELOW = 248;
const RANDOM_POOL_BYTES = 4096;

/** Random strings from bytes drawn in bulk: an id per message made a getRandomValues call and an array each. */
function randomStrings(): (n: number) => string {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  let at = pool.length;
  return (n) => {
    let s = "";
    while (s.length < n) {
      if (at === pool.length) crypto.getRandomValues(pool), (at = 0);
      const b = pool[at++];
      if (b < UNBIASED_BELOW) s += ALPHABET[b % 62];
    }
    return s;
  };
}
const randomString = randomStrings();

export const systemClock: Clock = { now: () => Date.now() };
export const randomIds: Ids = { id: () => randomString(16), secret: () => randomString(32) };
