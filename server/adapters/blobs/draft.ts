// BlobDraft on a temporary file: what an upload writes as it streams in, until it is stored under its id or thrown away.

import { mkdir, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { BlobDraft, UploadBlobs, WholeBlobs } from "../../ports/blobs";
import type { Logger } from "../../ports/runtime";

/** Removes a file; a missing one is fine, any other failure is logged (never thrown: the caller is cleaning up). */
export async function unlinkQuietly(path: string, log: Logger): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") log.warn("upload unlink failed", { path, err: String(e) });
  }
}

/**
 * A draft file untouched this long is a leftover of a process that died mid-upload: a live upload's
 * file grows at least every 10 s (Bun's idle timeout ends a request that sends nothing for longer).
 */
export const STALE_DRAFT_MS = 60 * 60_000;
const swept = new Set<string>();

/** Removes leftover draft files in `dir`, once per directory and process, when its first draft begins. */
export async function sweepStaleDrafts(dir: string, log: Logger, now = Date.now()): Promise<void> {
  try {
    for (const name of await readdir(dir)) {
      if (!/^incoming-[0-9a-f-]+\.part$/.test(name)) continue;
      const path = join(dir, name);
      const s = await stat(path).catch(() => undefined);
      if (s && now - s.mtimeMs > STALE_DRAFT_MS) await unlinkQuietly(path, log);
    }
  } catch (e) {
    log.warn("upload drafts not swept", { dir, err: String(e) });
  }
}

/**
 * A draft in `dir` (made if missing, 0700): `incoming-<random>.part`, private to the owner. Its name
 * has a dot, so it is never an id and never served. `store(part, id)` turns the flushed (when
 * `durable`) and closed file into the blob and must leave no file at `part` when it resolves; on
 * any failure of commit, or on abort, the file is removed here. A process that dies mid-upload leaves
 * its file; the first draft of the next process in that directory removes such leftovers.
 */
export async function fileDraft(dir: string, log: Logger, durable: boolean, store: (part: string, id: string) => Promise<void>): Promise<BlobDraft> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!swept.has(dir)) {
    swept.add(dir);
    void sweepStaleDrafts(dir, log);
  }
  const part = join(dir, `incoming-${crypto.randomUUID()}.part`);
  const file = await open(part, "wx", 0o600);
  let size = 0;
  let state: "open" | "closed" | "committed" = "open";
  const close = async () => {
    if (state !== "open") return;
    state = "closed";
    await file.close().catch(() => {});
  };
  return {
    get size() {
      return size;
    },
    async write(bytes) {
      if (state !== "open") throw new Error("the draft is closed");
      for (let at = 0; at < bytes.byteLength; ) at += (await file.write(bytes, at, bytes.byteLength - at)).bytesWritten;
      size += bytes.byteLength;
    },
    async commit(id) {
      if (state !== "open") throw new Error("the draft is closed");
      try {
        if (durable) await file.sync(); // a power cut never renames an empty file into place
        await close();
        await store(part, id);
        state = "committed";
      } catch (e) {
        await unlinkQuietly(part, log);
        throw e;
      }
    },
    async abort() {
      if (state === "committed") return;
      await close();
      await unlinkQuietly(part, log);
    },
  };
}

/**
 * Drafts for blobs kept whole elsewhere (the Store's table in a cluster): the bytes stream to a file
 * in `dir` as they arrive, and commit reads that file once and puts it. Only the commit holds the
 * whole file in memory (once, plus what the driver copies to send it), for as long as the insert takes.
 */
export function withFileDrafts(blobs: WholeBlobs, dir: string, log: Logger): UploadBlobs {
  return {
    put: (id, bytes) => blobs.put(id, bytes),
    get: (id) => blobs.get(id),
    remove: (ids) => blobs.remove(ids),
    begin: () =>
      fileDraft(dir, log, false, async (part, id) => {
        try {
          await blobs.put(id, new Uint8Array(await readFile(part)));
        } finally {
          await unlinkQuietly(part, log);
        }
      }),
  };
}
