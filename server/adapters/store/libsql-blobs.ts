// WholeBlobs adapter for libSQL through drizzle, on the `upload_blobs` table (a single node uses the disk instead).

import { eq, inArray } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type * as schema from "../../db/schema";
import { uploadBlobs } from "../../db/schema";
import type { WholeBlobs } from "../../ports/blobs";

export function createLibsqlBlobs(db: LibSQLDatabase<typeof schema>): WholeBlobs {
  return {
    async put(id, bytes) {
      // One statement: a row is there with all its bytes or not at all.
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // a view, not a copy
      const row = { bytes: buf, size: bytes.byteLength, createdAt: Date.now() };
      await db.insert(uploadBlobs).values({ id, ...row }).onConflictDoUpdate({ target: uploadBlobs.id, set: row });
    },
    async get(id) {
      const [r] = await db.select({ bytes: uploadBlobs.bytes }).from(uploadBlobs).where(eq(uploadBlobs.id, id));
      return r && new Blob([r.bytes as Uint8Array<ArrayBuffer>]); // the driver never returns shared memory
    },
    async remove(ids) {
      if (ids.length) await db.delete(uploadBlobs).where(inArray(uploadBlobs.id, ids));
    },
  };
}
