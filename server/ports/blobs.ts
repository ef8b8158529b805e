// UploadBlobs port: the bytes of uploads by id. Adapters: adapters/blobs/disk.ts (one node), the Store's `blobs`
// (WholeBlobs: a cluster) with adapters/blobs/staged.ts staging what streams in on the disk.

/**
 * Ids are ctx.ids output ([A-Za-z0-9_-], 1–64 characters): an adapter may refuse any other id on
 * put, and treats it as unknown on get and remove (so no id can name anything outside its space).
 * Each promise below is a rule of the contract suite (test/contracts/blobs.contract.ts, ids BLOB-n),
 * run against the disk adapter and against every Store's `blobs`.
 */
export interface WholeBlobs {
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

/**
 * Bytes being written as they arrive (an upload streaming in): they go to a temporary file in the
 * node's uploads directory, never all into memory, and become a blob only on commit (BLOB-10..12).
 */
export interface BlobDraft {
  /** Appends bytes; the caller awaits each write before the next. */
  write(bytes: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  /**
   * Stores what was written under `id` with put's promises (atomic, replaces, durable) and removes
   * the temporary file; a refused id (not an id) or a failure also removes it and throws.
   */
  commit(id: string): Promise<void>;
  /** Throws the bytes away and removes the temporary file. Idempotent; a no-op after commit. */
  abort(): Promise<void>;
}

/** ctx.blobs: whole bytes (WholeBlobs) plus drafts for bytes that stream in. */
export interface UploadBlobs extends WholeBlobs {
  /** A new, empty draft; its temporary file exists until commit or abort (BLOB-10). */
  begin(): Promise<BlobDraft>;
}
