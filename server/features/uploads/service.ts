// Uploads: store a member's file under a random name, serve it to members, vet it for a message, delete it with its message.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { BlobDraft, UploadBlobs } from "../../ports/blobs";
import type { FileSink } from "../../body-limits";
import { LIMITS } from "../../protocol/types";
import type { UploadMime, UploadRow, UploadsStore } from "../../ports/uploads";
import { requireMember } from "../rooms/service";
import { StreamSniffer, withFittingExtension } from "./sniff";

/** What a message event carries in `attachments`. */
export interface UploadInfo {
  id: string;
  filename: string;
  mime: UploadMime;
  size: number;
}

/** An upload no message carries after this long is an abandoned draft. */
export const DRAFT_TTL_MS = 24 * 60 * 60_000;
const FILENAME_MAX = 200;
/** Ids are ctx.ids output; anything else cannot name an upload (and never reaches the blob store). */
const ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

export const info = (r: UploadRow): UploadInfo => ({ id: r.id, filename: r.filename, mime: r.mime, size: r.size });

export const unsupportedType = () =>
  new AppError("unsupported_type", "file type not allowed: png, jpeg, gif, webp, pdf, zip, UTF-8 plain text or audio (ogg/opus, webm, m4a/mp4, mp3) only");

/**
 * A display name: the last path segment, without control characters or bidi overrides (which can
 * make "gnp.exe" read as "exe.png"), trimmed to FILENAME_MAX code points. Never used as a path.
 */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const clean = base
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
  const cut = [...clean].slice(0, FILENAME_MAX).join("").trim();
  return cut === "" || cut === "." || cut === ".." ? "file" : cut;
}

/** `blobs` holds the bytes (ctx.blobs: the disk on one node, the database in a cluster); `store` the metadata. */
export function createUploads(ctx: Context, store: UploadsStore, blobs: UploadBlobs = ctx.blobs) {
  /**
   * Called once the rows are marked deleted (or never made it), so nothing serves these bytes any more:
   * a failure here leaves unreachable bytes behind, logged, and must not fail the delete that committed.
   */
  async function removeBytes(ids: string[]) {
    if (ids.length === 0) return;
    try {
      await blobs.remove(ids);
    } catch (e) {
      ctx.log.warn("upload bytes not removed", { ids, err: String(e) });
    }
  }

  /** The row a user may read: not deleted, and they are in its room (anything else looks absent). */
  async function readable(userId: string, uploadId: string): Promise<UploadRow> {
    const row = ID_SHAPE.test(uploadId) ? await store.byId(uploadId) : undefined;
    if (!row || row.deletedAt !== null || !(await ctx.store.member(row.roomId, userId))) throw new AppError("not_found", "no such upload");
    // Until a message carries it, an upload is its uploader's draft: other members cannot open it.
    if (row.msgSeq === null && row.uploaderId !== userId) throw new AppError("not_found", "no such upload");
    return row;
  }

  return {
    /**
     * Room members only. `receive` streams the file in: it calls `open` with the file's name once its
     * bytes begin, writes them to the sink it gets as they arrive, and resolves once the whole request
     * has been read. The bytes go to a blob draft (a temporary file), counted and sniffed on the way:
     * past the limit, or once no allowed type can fit, the write throws and reading stops. The bytes
     * decide the type; the stored name is random, never the user's. Any failure leaves no file behind.
     */
    async receive(userId: string, roomId: string, receive: (open: (filename: string) => Promise<FileSink>) => Promise<unknown>): Promise<UploadInfo> {
      await requireMember(ctx, roomId, userId);
      const max = ctx.config.uploadMaxBytes;
      const sniffer = new StreamSniffer();
      let draft: BlobDraft | undefined;
      let name = "";
      let row: UploadRow;
      try {
        await receive(async (filename) => {
          if (draft) throw new AppError("invalid_request", "more than one file");
          name = filename;
          const d = (draft = await blobs.begin());
          return {
            async write(bytes) {
              if (d.size + bytes.byteLength > max) throw new AppError("too_large", `file is larger than ${max} bytes`);
              sniffer.push(bytes);
              if (sniffer.refused) throw unsupportedType();
              await d.write(bytes);
            },
          };
        });
        if (!draft || draft.size === 0) throw new AppError("invalid_request", "file is empty");
        const mime = sniffer.finish();
        if (!mime) throw unsupportedType();
        row = {
          id: ctx.ids.id(),
          roomId,
          uploaderId: userId,
          filename: withFittingExtension(sanitizeFilename(name), mime),
          mime,
          size: draft.size,
          createdAt: ctx.clock.now(),
          msgSeq: null,
          deletedAt: null,
        };
        // Bytes first, atomically (the port's promise), then the row: a row never names missing bytes.
        await draft.commit(row.id);
      } catch (e) {
        await draft?.abort();
        throw e;
      }
      try {
        await store.insert(row);
      } catch (e) {
        await removeBytes([row.id]);
        throw e;
      }
      return info(row);
    },

    /** receive() for a file at hand (its bytes streamed from the Blob the same way). */
    async save(userId: string, roomId: string, file: File): Promise<UploadInfo> {
      const max = ctx.config.uploadMaxBytes;
      if (file.size > max) throw new AppError("too_large", `file is larger than ${max} bytes`);
      return this.receive(userId, roomId, async (open) => {
        const sink = await open(file.name ?? "");
        const reader = file.stream().getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) await sink.write(r.value);
      });
    },

    /**
     * Members of the upload's room only; deleted, unknown and foreign uploads are all not_found. On the
     * disk `file` is a lazy BunFile (sent zero-copy); from the database, the bytes in memory.
     */
    async open(userId: string, uploadId: string): Promise<{ info: UploadInfo; file: Blob }> {
      const row = await readable(userId, uploadId);
      const file = await blobs.get(row.id);
      if (!file) {
        ctx.log.warn("upload file missing", { id: row.id });
        throw new AppError("not_found", "no such upload");
      }
      return { info: info(row), file };
    },

    /**
     * Vets ids a message wants to carry; writes nothing. The caller marks them attached in the
     * append transaction, and should re-check `msg_seq IS NULL` there: two sends can pass this at once.
     */
    async claim(roomId: string, senderId: string, ids: string[]): Promise<UploadInfo[]> {
      if (!Array.isArray(ids)) throw new AppError("invalid_request", "attachments must be a list of upload ids");
      if (ids.length > LIMITS.ATTACHMENTS_MAX) throw new AppError("invalid_request", `a message carries at most ${LIMITS.ATTACHMENTS_MAX} attachments`);
      if (new Set(ids).size !== ids.length) throw new AppError("invalid_request", "an attachment is listed twice");
      const valid = ids.filter((id) => typeof id === "string" && ID_SHAPE.test(id));
      const rows = new Map((await store.byIds(valid)).map((r) => [r.id, r]));
      return ids.map((id) => {
        const r = rows.get(id);
        // Someone else's upload answers like an unknown one: the sender learns nothing about it.
        if (!r || r.deletedAt !== null || r.uploaderId !== senderId) throw new AppError("invalid_request", `attachment ${String(id)} is not one of your uploads`);
        if (r.roomId !== roomId) throw new AppError("invalid_request", `attachment ${id} was uploaded to another room`);
        if (r.msgSeq !== null) throw new AppError("invalid_request", `attachment ${id} is already attached to a message`);
        return info(r);
      });
    },

    /**
     * A forward's files: each one copied, bytes and row, as a new draft upload of the forwarder in the
     * target room, which the forward's send then attaches like any other. The copy has a life of its
     * own: deleting the original message (or the forward) removes only its own files, and nobody
     * gains a handle on the original rows. Costs the bytes once more per forward. Ids of uploads the
     * message no longer has (or whose bytes are gone) are refused.
     */
    async copyForForward(fromRoom: string, toRoom: string, forwarder: string, ids: string[]): Promise<string[]> {
      await requireMember(ctx, toRoom, forwarder);
      const rows = new Map((await store.byIds(ids)).map((r) => [r.id, r]));
      const copies: string[] = [];
      try {
        for (const id of ids) {
          const r = rows.get(id);
          const bytes = r && r.roomId === fromRoom && r.deletedAt === null ? await blobs.get(id) : undefined;
          if (!r || !bytes) throw new AppError("not_found", "a file of that message is gone");
          const copy: UploadRow = { ...r, id: ctx.ids.id(), roomId: toRoom, uploaderId: forwarder, createdAt: ctx.clock.now(), msgSeq: null, deletedAt: null };
          await blobs.put(copy.id, new Uint8Array(await bytes.arrayBuffer()));
          copies.push(copy.id);
          await store.insert(copy);
        }
      } catch (e) {
        await removeBytes(copies); // rows already inserted stay drafts: the hourly sweep removes them
        throw e;
      }
      return copies;
    },

    /** Drafts nobody sent within DRAFT_TTL_MS are deleted with their files (runs hourly and at start). */
    async sweepDrafts(): Promise<number> {
      const now = ctx.clock.now();
      const rows = await store.markAbandoned(now - DRAFT_TTL_MS, now);
      await removeBytes(rows.map((r) => r.id));
      return rows.length;
    },

    /** After a message delete commits: its uploads become unreachable, then their bytes go. Idempotent. */
    async removeForMessage(roomId: string, msgSeq: number): Promise<void> {
      const rows = await store.markDeletedForMessage(roomId, msgSeq, ctx.clock.now());
      await removeBytes(rows.map((r) => r.id));
    },
  };
}

export type Uploads = ReturnType<typeof createUploads>;
