// Uploads port: metadata of stored files (the bytes are behind ports/blobs.ts). Adapters: adapters/store/{libsql,postgres}-uploads.ts.

/** The sniffed types an upload can have; nothing else is ever stored. */
export type UploadMime =
  | "image/png"
  | "image/jpeg"
  | "image/gif"
  | "image/webp"
  | "application/pdf"
  | "audio/ogg"
  | "audio/webm"
  | "audio/mp4"
  | "audio/mpeg"
  | "application/zip"
  | "text/plain";

export interface UploadRow {
  /** Random id from ctx.ids; also the id of its bytes in ctx.blobs (a file name under <dataDir>/uploads/ on one node). */
  id: string;
  roomId: string;
  uploaderId: string;
  /** Sanitized display name; never used as a path. */
  filename: string;
  mime: UploadMime;
  size: number;
  createdAt: number;
  /** Seq of the message that carries it; null until a message is sent with it. */
  msgSeq: number | null;
  /** Set when its message was deleted; a deleted upload is never served again. */
  deletedAt: number | null;
}

export interface UploadsStore {
  /** Inserts a new row; the id is unique (a repeat throws). */
  insert(row: UploadRow): Promise<void>;
  /** The row, deleted or not; callers decide what a deleted row means. */
  byId(id: string): Promise<UploadRow | undefined>;
  /** Rows for the ids that exist, in no particular order; unknown ids are simply absent. */
  byIds(ids: string[]): Promise<UploadRow[]>;
  /**
   * Sets deletedAt on every upload of that message that lacks it (earlier marks are kept), and
   * returns all uploads the message carries, so the caller can unlink their files idempotently.
   */
  markDeletedForMessage(roomId: string, msgSeq: number, at: number): Promise<UploadRow[]>;
  /** Marks deleted the uploads no message took before `before` (abandoned drafts) and returns them. */
  markAbandoned(before: number, at: number): Promise<UploadRow[]>;
}
