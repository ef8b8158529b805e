// createBlobs: where upload bytes live — the store's table on PostgreSQL (a cluster), files in <data>/uploads/ otherwise.

import { join } from "node:path";
import type { Config } from "../../config";
import type { UploadBlobs } from "../../ports/blobs";
import type { Logger } from "../../ports/runtime";
import type { Store } from "../../ports/store";
import { isPostgresUrl } from "../store";
import { createDiskBlobs } from "./disk";
import { withFileDrafts } from "./draft";

/**
 * Nodes on one PostgreSQL database share no disk, so a file uploaded through one must be readable
 * through any other: the database holds the bytes. A single node (libSQL) keeps plain files, which
 * Bun sends without copying and a backup of <data> takes along. Nodes of a cluster still stage an
 * upload on their own disk while it streams in, and store it in the database once it is whole.
 */
export function createBlobs(config: Config, store: Store, log: Logger): UploadBlobs {
  // Either way an upload streams into a file in <data>/uploads/ while it arrives (ports/blobs.ts BlobDraft).
  const dir = join(config.dataDir, "uploads");
  return isPostgresUrl(config.databaseUrl) ? withFileDrafts(store.blobs, dir, log) : createDiskBlobs(dir, log);
}
