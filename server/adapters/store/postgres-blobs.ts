// WholeBlobs adapter for PostgreSQL through drizzle, on the `upload_blobs` table: a cluster's nodes all serve the same bytes.

import { eq, inArray } from "drizzle-orm";
import { uploadBlobs } from "../../db/schema.pg";
import type { WholeBlobs } from "../../ports/blobs";
import { pgText } from "./postgres-effects";
import type { PgDb } from "./postgres";

/** Ids go through pgText like every key here: PostgreSQL refuses U+0000 in text, and a non-id must read as unknown. */
export function createPostgresBlobs(db: PgDb): WholeBlobs {
  return {
    async put(id, bytes) {
      // One statement: another node sees the row with all its bytes or not at all.
      const row = { bytes, size: bytes.byteLength, createdAt: Date.now() };
      await db.insert(uploadBlobs).values({ id: pgText(id), ...row }).onConflictDoUpdate({ target: uploadBlobs.id, set: row });
    },
    async get(id) {
      const [r] = await db.select({ bytes: uploadBlobs.bytes }).from(uploadBlobs).where(eq(uploadBlobs.id, pgText(id)));
      return r && new Blob([r.bytes as Uint8Array<ArrayBuffer>]); // the driver never returns shared memory
    },
    async remove(ids) {
      if (ids.length) await db.delete(uploadBlobs).where(inArray(uploadBlobs.id, ids.map(pgText)));
    },
  };
}
