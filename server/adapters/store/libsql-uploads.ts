// UploadsStore adapter for libSQL through drizzle, on the `uploads` table.

import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type * as schema from "../../db/schema";
import { uploads } from "../../db/schema";
import type { UploadRow, UploadsStore } from "../../ports/uploads";

/** Callers pass at most a handful of ids (a message carries ≤ 10), far below SQLite's variable limit. */
export function createLibsqlUploads(db: LibSQLDatabase<typeof schema>): UploadsStore {
  return {
    async insert(row) {
      await db.insert(uploads).values(row);
    },
    async byId(id) {
      return (await db.select().from(uploads).where(eq(uploads.id, id)))[0] as UploadRow | undefined;
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      return (await db.select().from(uploads).where(inArray(uploads.id, ids))) as UploadRow[];
    },
    async markDeletedForMessage(roomId, msgSeq, at) {
      const forMessage = and(eq(uploads.roomId, roomId), eq(uploads.msgSeq, msgSeq));
      // One transaction, so the returned rows are exactly the ones the update saw.
      const [, rows] = await db.batch([
        db.update(uploads).set({ deletedAt: at }).where(and(forMessage, isNull(uploads.deletedAt))),
        db.select().from(uploads).where(forMessage),
      ]);
      return rows as UploadRow[];
    },
    async markAbandoned(before, at) {
      const abandoned = and(isNull(uploads.msgSeq), isNull(uploads.deletedAt), lt(uploads.createdAt, before));
      const rows = await db.select().from(uploads).where(abandoned);
      if (rows.length) await db.update(uploads).set({ deletedAt: at }).where(inArray(uploads.id, rows.map((r) => r.id)));
      return rows as UploadRow[];
    },
  };
}
