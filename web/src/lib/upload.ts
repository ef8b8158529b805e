// File transfer: XHR uploads with progress (bearer auth, one retry after a token refresh) and authenticated downloads as blob: URLs.
import type { Attachment } from "../../../server/protocol/types";
import { ApiError, getSession, refresh } from "./api";

export interface UploadHandle {
  done: Promise<Attachment>;
  abort(): void;
}

function errorOf(xhr: XMLHttpRequest): ApiError {
  let code = "http_" + xhr.status;
  let message = xhr.statusText || "Upload failed";
  try {
    const body = JSON.parse(xhr.responseText);
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    }
  } catch {
    /* not JSON */
  }
  const ra = Number(xhr.getResponseHeader("retry-after")) || undefined;
  return new ApiError(xhr.status, code, message, ra);
}

/** POST one file to /api/rooms/:id/uploads; `onProgress` gets 0..1. */
export function uploadFile(room: string, file: File, onProgress: (f: number) => void): UploadHandle {
  let xhr: XMLHttpRequest | undefined;
  let aborted = false;
  const attempt = (retried: boolean): Promise<Attachment> =>
    new Promise((resolve, reject) => {
      const x = (xhr = new XMLHttpRequest());
      x.open("POST", `/api/rooms/${encodeURIComponent(room)}/uploads`);
      const s = getSession();
      if (s) x.setRequestHeader("authorization", `Bearer ${s.accessToken}`);
      x.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      x.onload = () => {
        if (x.status === 201 || x.status === 200) {
          try {
            return resolve((JSON.parse(x.responseText) as { upload: Attachment }).upload);
          } catch {
            return reject(new ApiError(x.status, "bad_response", "The server sent an unreadable answer."));
          }
        }
        if (x.status === 401 && !retried && getSession()) {
          onProgress(0);
          return void refresh().then((ok) => (ok ? attempt(true).then(resolve, reject) : reject(errorOf(x))));
        }
        reject(errorOf(x));
      };
      x.onerror = () => reject(new ApiError(0, "network", "Can't reach the server. Check your connection."));
      x.onabort = () => reject(new ApiError(0, "aborted", "Upload cancelled."));
      const form = new FormData();
      form.append("file", file, file.name || "pasted-file");
      if (aborted) return x.abort();
      x.send(form);
    });
  return {
    done: attempt(false),
    abort() {
      aborted = true;
      xhr?.abort();
    },
  };
}

/** A human message for a failed upload. */
export function describeUploadError(name: string, e: unknown): string {
  const err = e instanceof ApiError ? e : new ApiError(0, "unknown", "Upload failed.");
  if (err.status === 415 || err.code === "unsupported_type") {
    return `“${name}” can't be shared: only images (PNG, JPEG, GIF, WebP), PDF, ZIP and plain text files are allowed.`;
  }
  if (err.status === 413 || err.code === "too_large") {
    const n = Number(/(\d{4,})/.exec(err.message)?.[1]);
    return `“${name}” is too large${n ? ` (the limit is ${formatSize(n)})` : ""}.`;
  }
  if (err.code === "aborted") return err.message;
  return `Couldn't upload “${name}”: ${err.message || "please try again."}`;
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

const blobs = new Map<string, Promise<string>>();

/** Fetch an upload with the bearer header and return a cached blob: URL. */
export function uploadUrl(id: string): Promise<string> {
  let p = blobs.get(id);
  if (p) return p;
  const get = () => fetch(`/api/uploads/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${getSession()?.accessToken ?? ""}` } });
  p = (async () => {
    let res = await get();
    if (res.status === 401 && (await refresh())) res = await get();
    if (!res.ok) throw new ApiError(res.status, "http_" + res.status, res.status === 404 ? "This file is no longer available." : "Couldn't load the file.");
    return URL.createObjectURL(await res.blob());
  })();
  p.catch(() => blobs.delete(id));
  blobs.set(id, p);
  return p;
}

/** Save an upload to disk under its filename. */
export async function downloadUpload(a: Attachment): Promise<void> {
  const url = await uploadUrl(a.id);
  const link = document.createElement("a");
  link.href = url;
  link.download = a.filename || "download";
  link.rel = "noopener";
  document.body.appendChild(link);
  link.click();
  link.remove();
}

export const isImage = (mime: string) => /^image\/(png|jpeg|gif|webp)$/.test(mime);
