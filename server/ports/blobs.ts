// UploadBlobs port: the bytes of uploads by id. Adapters: adapters/blobs/disk.ts (one node), the Store's `blobs` (a cluster).

/**
 * Ids are ctx.ids output ([A-Za-z0-9_-], 1–64 characters): an adapter may refuse any other id on
 * put, and treats it as unknown on get and remove (so no id can name anything outside its space).
 * Each promise below is a rule of the contract suite (test/contracts/blobs.contract.ts, ids BLOB-n),
 * run against the disk adapter and against every Store's `blobs`.
 */
export interface UploadBlobs {
  /**
   * Stores the bytes under `id`. Atomic: a get sees all of them or none, and a crash or failure never
   * leaves part of the bytes visible under the id (BLOB-1, BLOB-2). A put under an id that has bytes
   * replaces them, just as atomically (BLOB-3). Resolves once the bytes are durable for the adapter.
   */
  put(id: string, bytes: Uint8Array): Promise<void>;
  /**
   * The bytes as a Blob (its `type` is not meaningful: callers know the type), or undefined when the id
   * is unknown, removed, or not an id (BLOB-1, BLOB-4, BLOB-5). The disk adapter's Blob is a lazy file
   * read (served zero-copy); a store's holds the bytes in memory.
   */
  get(id: string): Promise<Blob | undefined>;
  /**
   * Removes the bytes of every listed id. Idempotent: unknown, removed and repeated ids are fine, []
   * is a no-op; others' bytes stay (BLOB-4, BLOB-6).
   */
  remove(ids: string[]): Promise<void>;
}
