// The JWT signing key: given in config; in a cluster (a --bus is set) kept in the shared store so every
// node signs and verifies with one key; otherwise generated on first run into <data>/jwt.secret (0600).

import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config";
import type { Logger } from "../../ports/runtime";
import type { Store } from "../../ports/store";

/** A single node's key file in <data>, and the shared secret's name a cluster keeps it under (migrate-store carries one into the other). */
export const JWT_SECRET = { file: "jwt.secret", shared: "jwt" } as const;

const newSecret = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");

export async function loadSecret(config: Config, log: Logger, store: Store): Promise<Uint8Array<ArrayBuffer>> {
  if (config.jwtSecret) return new TextEncoder().encode(config.jwtSecret);
  if (config.busUrl) return new TextEncoder().encode(await store.sharedSecret(JWT_SECRET.shared, newSecret));
  const path = join(config.dataDir, JWT_SECRET.file);
  if (!existsSync(path)) {
    writeFileSync(path, newSecret() + "\n", { mode: 0o600, flag: "wx" });
    log.info("generated token signing secret", { path });
  }
  chmodSync(path, 0o600);
  return new TextEncoder().encode(readFileSync(path, "utf8").trim());
}
