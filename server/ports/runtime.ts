// Runtime ports: logging, time and ids, injected through the context so tests can drive them.
//
// Only the interfaces live here; the process's own implementations (`createLogger`, `systemClock`,
// `randomIds`) are in `server/runtime.ts`. Modules that need a logger, a clock or ids import these
// types from here, never from `context.ts`: the composition root imports everything, nothing
// imports it back except for the whole `Context`.

export interface Logger {
  /** Synchronous, fire and forget: callers never await a log line. `fields` join the record as keys. */
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  /** Milliseconds since the epoch (as `Date.now()`). Wall time: it can step; not monotonic. */
  now(): number;
}

export interface Ids {
  /** 16 random characters from a URL-safe alphabet (~95 bits); unique without coordination between instances. */
  id(): string;
  /** A longer secret (refresh tokens). */
  secret(): string;
}
