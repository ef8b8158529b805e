// The UploadBlobs contract: every rule of ports/blobs.ts as tests, run on the disk adapter and on every Store's `blobs`.

import { describe, expect, test } from "bun:test";
import type { UploadBlobs, WholeBlobs } from "../../ports/blobs";

let counter = 0;
/** Unique across the run, in the id alphabet, so tests sharing a database or directory never collide. */
export const blobId = () => `b${Date.now().toString(36)}${(++counter).toString(36)}${crypto.randomUUID().slice(0, 8)}`;

/** Every byte value (NUL included: a driver that reads text would cut there), then pseudo-random ones. */
export function someBytes(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i < 256 ? i : x >>> 24;
  }
  return b;
}

const bytesOf = async (b: Blob | undefined) => (b ? new Uint8Array(await b.arrayBuffer()) : undefined);
/** Lets I/O callbacks run: a get can resolve in microtasks alone (a file's existence check), which would starve the put. */
const yieldToIo = () => new Promise<void>((r) => setImmediate(r));

/**
 * Registers the rules for one adapter. `blobs` is called inside each test (a store opens in a
 * beforeAll); tests keep apart by their own ids, so one instance serves the whole block.
 */
export function blobRules(blobs: () => WholeBlobs) {
  describe("upload blobs", () => {
    test("BLOB-1 put then get gives the same bytes, every byte value included, small and large", async () => {
      const b = blobs();
      for (const size of [1, 300, 3 * 1024 * 1024 + 7]) {
        const id = blobId();
        const bytes = someBytes(size, size);
        await b.put(id, bytes);
        const got = await b.get(id);
        expect(got).toBeInstanceOf(Blob);
        expect(got!.size).toBe(size);
        expect(await bytesOf(got)).toEqual(bytes);
      }
    });

    test("BLOB-2 put is atomic: gets racing a large put see nothing or all of it, never a part", async () => {
      const b = blobs();
      const id = blobId();
      const bytes = someBytes(4 * 1024 * 1024, 2);
      let done = false;
      const put = b.put(id, bytes).finally(() => (done = true));
      const seen: number[] = [];
      while (!done) {
        const got = await b.get(id);
        seen.push(got ? (await bytesOf(got))!.byteLength : -1); // -1: nothing there yet
        await yieldToIo();
      }
      await put;
      expect(seen.every((n) => n === -1 || n === bytes.byteLength)).toBe(true);
      expect(await bytesOf(await b.get(id))).toEqual(bytes);
    });

    test("BLOB-3 a put under a used id replaces the bytes whole; racing gets see the old or the new, nothing else", async () => {
      const b = blobs();
      const id = blobId();
      const [old, next] = [someBytes(2 * 1024 * 1024, 3), someBytes(1024 * 1024 + 1, 4)];
      await b.put(id, old);
      let done = false;
      const put = b.put(id, next).finally(() => (done = true));
      const seen: number[] = [];
      while (!done) {
        seen.push((await b.get(id))!.size);
        await yieldToIo();
      }
      await put;
      expect(seen.every((n) => n === old.byteLength || n === next.byteLength)).toBe(true);
      expect(await bytesOf(await b.get(id))).toEqual(next);
    });

    test("BLOB-4 a removed id gets undefined; remove is idempotent and a put after it stores again", async () => {
      const b = blobs();
      const id = blobId();
      await b.put(id, someBytes(10));
      await b.remove([id]);
      expect(await b.get(id)).toBeUndefined();
      await b.remove([id]);
      await b.remove([id, id]);
      expect(await b.get(id)).toBeUndefined();
      await b.put(id, someBytes(20, 5));
      expect(await bytesOf(await b.get(id))).toEqual(someBytes(20, 5));
    });

    test("BLOB-5 unknown ids and strings that are not ids get undefined; removing them changes nothing", async () => {
      const b = blobs();
      const id = blobId();
      await b.put(id, someBytes(5));
      for (const x of [blobId(), "", ".", "..", `../${id}`, `${id}/`, `${id}.part`, "a".repeat(65), "nul\0byte"]) {
        expect(await b.get(x)).toBeUndefined();
      }
      await b.remove([blobId(), "..", `../${id}`, `${id}.part`]);
      expect(await bytesOf(await b.get(id))).toEqual(someBytes(5));
    });

    test("BLOB-6 remove takes exactly the listed ids, many at once; [] is a no-op; others' bytes stay", async () => {
      const b = blobs();
      const ids = Array.from({ length: 6 }, blobId);
      await Promise.all(ids.map((id, i) => b.put(id, someBytes(100 + i, i))));
      await b.remove([]);
      await b.remove([ids[0], ids[2], ids[4], blobId()]);
      for (const [i, id] of ids.entries()) {
        expect(await bytesOf(await b.get(id))).toEqual(i % 2 === 0 ? undefined : someBytes(100 + i, i));
      }
    });
  });
}

/**
 * The draft rules (ports/blobs.ts BlobDraft) for one UploadBlobs; `staged` lists the temporary
 * files of drafts in its staging directory (they must all be gone once a draft is committed or aborted).
 */
export function draftRules(blobs: () => UploadBlobs, staged: () => string[]) {
  describe("upload blob drafts", () => {
    test("BLOB-10 bytes written in pieces to a draft become the blob on commit; the temporary file exists until then, and is gone after", async () => {
      const b = blobs();
      const id = blobId();
      const bytes = someBytes(3 * 1024 * 1024 + 11, 10);
      const d = await b.begin();
      expect(staged().length).toBe(1);
      for (let at = 0; at < bytes.length; at += 100_003) await d.write(bytes.subarray(at, at + 100_003));
      expect(d.size).toBe(bytes.length);
      expect(await b.get(id)).toBeUndefined();
      await d.commit(id);
      expect(await bytesOf(await b.get(id))).toEqual(bytes);
      expect(staged()).toEqual([]);
      await d.abort(); // after commit: a no-op
      expect(await bytesOf(await b.get(id))).toEqual(bytes);
    });

    test("BLOB-11 abort throws the bytes away and removes the temporary file; it is idempotent, and nothing is stored", async () => {
      const b = blobs();
      const d = await b.begin();
      await d.write(someBytes(1000, 11));
      await d.abort();
      await d.abort();
      expect(staged()).toEqual([]);
      await expect(d.write(someBytes(1))).rejects.toThrow();
      await expect(d.commit(blobId())).rejects.toThrow();
      const empty = await b.begin();
      await empty.abort();
      expect(staged()).toEqual([]);
    });

    test("BLOB-12 a commit under a used id replaces its bytes whole; drafts in parallel keep apart", async () => {
      const b = blobs();
      const id = blobId();
      await b.put(id, someBytes(5000, 12));
      const [d1, d2] = await Promise.all([b.begin(), b.begin()]);
      await d1.write(someBytes(300, 13));
      await d2.write(someBytes(700, 14));
      expect(staged().length).toBe(2);
      const other = blobId();
      await Promise.all([d1.commit(id), d2.commit(other)]);
      expect(await bytesOf(await b.get(id))).toEqual(someBytes(300, 13));
      expect(await bytesOf(await b.get(other))).toEqual(someBytes(700, 14));
      expect(staged()).toEqual([]);
    });
  });
}
