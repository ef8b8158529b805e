// createBlobs: where upload bytes live — the store's table on PostgreSQL (a cluster), files in <data>/uploads/ otherwise.

import { join } from "node:path";
import type { Config } from "../../config";
import type { UploadBlobs } from "../../ports/blobs";
import type { Logger } from "../../ports/runtime";
import type { Store } from "../../ports/store";
import { isPostgresUrl } from "../store";
import { createDiskBlobs } from "./disk";

/**
 * Nodes on one PostgreSQL database share no disk, so a file uploaded through one must be readable
 * through any other: the database holds the bytes. A single node (libSQL) keeps plain files, which
 * Bun sends without copying and a backup of <data> takes along.
 */
export function createBlobs(config: Config, store: Store, log: Logger): UploadBlobs {
  return isPostgresUrl(config.databaseUrl) ? store.blobs : createDiskBlobs(join(config.dataDir, "uploads"), log);
}
