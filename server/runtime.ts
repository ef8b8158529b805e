// The process's Logger, Clock and Ids (interfaces in ports/runtime.ts); createContext picks them unless overridden.
//
// They live beside context.ts rather than in it so that context.ts stays wiring only, and a test or
// tool that wants a real logger or ids need not import the composition root and every adapter with it.
// They live outside ports/ because ports hold interfaces and their guarantees, not implementations.

import type { Config } from "./config";
import type { Clock, Ids, Logger } from "./ports/runtime";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/**
 * Keys whose values never reach a log line, at any depth: credentials and message text. Callers
 * do not log such fields (docs/operations.md, "Logs"); this is the net under that rule, and the
 * logs test (server/reliability/logs.test.ts) greps a whole session's output for the real values.
 */
const SECRET_KEY = /token|password|secret|authorization|cookie|^body$|^text$|^code$/i;

function redact(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object" || depth > 4) return v;
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(x, depth + 1);
  return out;
}

/** `text` lines for people: `13:49:37.123 INFO  listening url=… data=…` (values JSON-quoted when they need it). */
function textLine(rec: Record<string, unknown>): string {
  const { ts, level, msg, ...rest } = rec;
  const kv = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`);
  return `${String(ts).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${msg}${kv.length ? "  " + kv.join(" ") : ""}`;
}

/**
 * Logger on stdout (stderr for warn/error): one JSON object a line, or with `format` "text" (or
 * "auto" on a terminal) a line for people. Fields named like credentials or message text are
 * replaced by "[redacted]".
 */
export function createLogger(level: Config["logLevel"], base: Record<string, unknown> = {}, format: Config["logFormat"] = "json"): Logger {
  const min = LEVELS[level];
  const text = format === "text" || (format === "auto" && process.stdout.isTTY === true);
  const write = (lvl: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const rec = redact({ ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields }) as Record<string, unknown>;
    (lvl === "warn" || lvl === "error" ? process.stderr : process.stdout).write((text ? textLine(rec) : JSON.stringify(rec)) + "\n");
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
