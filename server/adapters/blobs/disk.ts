// UploadBlobs on the local disk: one file per id in a directory (<data>/uploads/ on a single node).

import { mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import type { UploadBlobs } from "../../ports/blobs";
import type { Logger } from "../../ports/runtime";
import { fileDraft, unlinkQuietly as unlinkLogged } from "./draft";

/**
 * What may become a file name: one path segment that cannot be "..", hidden, or end in ".part" (the
 * half-written files), so no id reaches outside the directory or reads a write in progress.
 */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createDiskBlobs(dir: string, log: Logger): UploadBlobs {
  const pathOf = (id: string) => join(dir, id);
  let dirReady: Promise<unknown> | undefined;
  const ensureDir = () =>
    (dirReady ??= mkdir(dir, { recursive: true, mode: 0o700 }).catch((e) => {
      dirReady = undefined; // try again next time instead of failing every later put
      throw e;
    }));

  const unlinkQuietly = (path: string) => unlinkLogged(path, log);
  const notAnId = (id: string) => new Error(`not a blob id: ${JSON.stringify(id.slice(0, 80))}`);

  return {
    async put(id, bytes) {
      if (!NAME.test(id)) throw notAnId(id);
      await ensureDir();
      // Written aside, flushed, then renamed over the id: rename is atomic, so a reader (or a restart
      // after a crash) sees the whole file or none; the flush keeps a power cut from renaming an
      // empty file into place. Leftover .part files are never served (NAME excludes them).
      const path = pathOf(id);
      const part = `${path}.part`;
      try {
        const f = await open(part, "w", 0o600);
        try {
          await f.writeFile(bytes);
          await f.sync();
        } finally {
          await f.close();
        }
        await rename(part, path);
      } catch (e) {
        await unlinkQuietly(part);
        throw e;
      }
    },

    /**
     * Streams into <dir>/incoming-<random>.part; commit flushes it and renames it over the id (one
     * directory, one filesystem: atomic, nothing copied), as put does with its own .part file.
     */
    async begin() {
      await ensureDir();
      return fileDraft(dir, log, true, async (part, id) => {
        if (!NAME.test(id)) throw notAnId(id);
        await rename(part, pathOf(id));
      });
    },

    async get(id) {
      if (!NAME.test(id)) return undefined;
      // A lazy file: the route hands it to Bun, which sends it without copying it into memory.
      const file = Bun.file(pathOf(id));
      return (await file.exists()) ? file : undefined;
    },

    async remove(ids) {
      await Promise.all(ids.filter((id) => NAME.test(id)).map((id) => unlinkQuietly(pathOf(id))));
    },
  };
}
