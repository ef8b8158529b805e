// In-process bus: hands messages straight to the hub (single binary, no network hop).

import type { Bus, BusMessage } from "../../ports/bus";

export function createLocalBus(): Bus {
  let handler: ((msg: BusMessage) => void) | undefined;
  return {
    publish(msg) {
      handler?.(msg);
    },
    subscribe(h) {
      handler = h;
    },
    async close() {},
  };
}
