// HTTP routes for uploads: multipart upload into a room, and the members-only download with hardened headers.

import { Elysia } from "elysia";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import { requireMember } from "../rooms/service";
import type { UploadInfo, Uploads } from "./service";
import { INLINE_TYPES } from "./sniff";
import { streamFileField } from "../../body-limits";

/** RFC 5987 ext-value: percent-encode everything but attr-char (encodeURIComponent leaves ' ( ) * as is). */
function rfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** An ASCII-only quoted fallback for clients that ignore filename*. */
function asciiFallback(s: string): string {
  return s.replace(/[^\x20-\x7e]|["\\]/g, "_");
}

export function downloadHeaders(u: UploadInfo): Record<string, string> {
  const disposition = INLINE_TYPES.has(u.mime) ? "inline" : "attachment";
  return {
    "content-type": u.mime === "text/plain" ? "text/plain; charset=utf-8" : u.mime,
    "content-disposition": `${disposition}; filename="${asciiFallback(u.filename)}"; filename*=UTF-8''${rfc5987(u.filename)}`,
    "x-content-type-options": "nosniff",
    // Opened directly, the response may render but never run script, load anything or reach our origin.
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "private",
    // No cross-origin page may embed it (<img>, <object>) even if it could guess the id.
    "cross-origin-resource-policy": "same-origin",
  };
}

export function uploadRoutes(ctx: Context, uploads: Uploads) {
  return new Elysia({ name: "upload-routes" })
    .post(
      "/api/rooms/:id/uploads",
      async ({ request, params, set }) => {
        // Auth and membership before reading the body: a stranger's upload is never read. The file
        // streams from the socket to a temporary file as it arrives (uploads.receive).
        const user = await authUser(ctx, request);
        await requireMember(ctx, params.id, user.id);
        const max = ctx.config.uploadMaxBytes;
        const upload = await uploads.receive(user.id, params.id, (open) => streamFileField(request, max, `file is larger than ${max} bytes`, open));
        set.status = 201;
        return { upload };
      },
      { parse: "none" },
    )
    .get("/api/uploads/:id", async ({ request, params }) => {
      const user = await authUser(ctx, request);
      const { info, file } = await uploads.open(user.id, params.id);
      return new Response(file, { headers: downloadHeaders(info) });
    });
}
