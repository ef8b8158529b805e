// In-process bus: hands messages straight to the hub (single binary, no network hop).

import type { Bus, BusMessage, BusMeter } from "../../ports/bus";

const WATCHED: Promise<void> = Promise.resolve();

/**
 * Every publish reaches the one handler synchronously, whatever is watched: one process holds every
 * socket, the hub already ignores rooms it has no socket in, and filtering here would add a lookup
 * per message for nothing. Nothing can be lost, so `onReconnect` never fires.
 */
export function createLocalBus(meter?: BusMeter): Bus {
  let handler: ((msg: BusMessage) => void) | undefined;
  return {
    canLose: false,
    publish(msg) {
      meter?.published(msg.kind);
      handler?.(msg);
    },
    subscribe(h) {
      handler = h;
    },
    watchRoom: () => WATCHED,
    unwatchRoom() {},
    watchUser: () => WATCHED,
    unwatchUser() {},
    onReconnect() {},
    async close() {
      handler = undefined;
    },
  };
}
