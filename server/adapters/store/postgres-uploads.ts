// UploadsStore adapter for PostgreSQL through drizzle, on the `uploads` table.

import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import { uploads } from "../../db/schema.pg";
import type { UploadRow, UploadsStore } from "../../ports/uploads";
import type { PgDb } from "./postgres";

export function createPostgresUploads(db: PgDb): UploadsStore {
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
      return db.transaction(async (tx) => {
        await tx.update(uploads).set({ deletedAt: at }).where(and(forMessage, isNull(uploads.deletedAt)));
        return (await tx.select().from(uploads).where(forMessage)) as UploadRow[];
      });
    },
    async markAbandoned(before, at) {
      // One statement: a sweep on another node cannot take the same rows in between.
      const rows = await db
        .update(uploads)
        .set({ deletedAt: at })
        .where(and(isNull(uploads.msgSeq), isNull(uploads.deletedAt), lt(uploads.createdAt, before)))
        .returning();
      return rows as UploadRow[];
    },
  };
}
