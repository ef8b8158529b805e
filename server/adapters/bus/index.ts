// createBus: the Bus adapter a URL names ("" → in-process, redis:// or rediss:// → Redis, nats:// → NATS).

import type { Bus, BusMeter } from "../../ports/bus";
import type { Logger } from "../../ports/runtime";
import { createLocalBus } from "./local";

export type BusKind = "local" | "redis" | "nats";

/** The adapter for a bus URL, or undefined for a scheme no adapter speaks (loadConfig refuses it). */
export function busKind(url: string): BusKind | undefined {
  if (url === "") return "local";
  if (/^rediss?:\/\//i.test(url)) return "redis";
  if (/^nats:\/\//i.test(url)) return "nats";
  return undefined;
}

/**
 * The network adapters are imported only when named: the single binary (no --bus) never loads a
 * Redis or NATS client. Rejects when the broker cannot be reached at startup.
 */
export async function createBus(url: string, log: Logger, meter?: BusMeter): Promise<Bus> {
  switch (busKind(url)) {
    case "local":
      return createLocalBus(meter);
    case "redis":
      return (await import("./redis")).createRedisBus(url, log, meter);
    case "nats":
      return (await import("./nats")).createNatsBus(url, log, meter);
    default:
      throw new Error(`unknown bus URL scheme in "${url}": use redis://, rediss:// or nats://`);
  }
}
