// The JWT signing key: given in config, or generated on first run into <data>/jwt.secret (0600).

import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config";
import type { Logger } from "../../ports/runtime";

export async function loadSecret(config: Config, log: Logger): Promise<Uint8Array<ArrayBuffer>> {
  if (config.jwtSecret) return new TextEncoder().encode(config.jwtSecret);
  const path = join(config.dataDir, "jwt.secret");
  if (!existsSync(path)) {
    const hex = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    writeFileSync(path, hex + "\n", { mode: 0o600, flag: "wx" });
    log.info("generated token signing secret", { path });
  }
  chmodSync(path, 0o600);
  return new TextEncoder().encode(readFileSync(path, "utf8").trim());
}
