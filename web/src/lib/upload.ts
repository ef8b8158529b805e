// File transfer: XHR uploads with progress and authenticated downloads as blob: URLs, both through the one authenticated request helper.
import type { Attachment } from "../../../server/protocol/types";
import { ensureOk, withAuth, authFetch } from "./api";
import { ApiError, networkError, parseError } from "./errors";

export interface UploadHandle {
  done: Promise<Attachment>;
  abort(): void;
}

/** POST a multipart form with upload progress (`onProgress` gets 0..1); resolves with the parsed JSON answer. */
export function postForm<T>(path: string, form: FormData, onProgress: (f: number) => void = () => {}): { done: Promise<T>; abort(): void } {
  let xhr: XMLHttpRequest | undefined;
  let aborted = false;
  const once = (token: string | undefined) =>
    new Promise<XMLHttpRequest>((resolve, reject) => {
      const x = (xhr = new XMLHttpRequest());
      x.open("POST", path);
      if (token) x.setRequestHeader("authorization", `Bearer ${token}`);
      onProgress(0);
      x.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      x.onload = () => resolve(x);
      x.onerror = () => reject(networkError());
      x.onabort = () => reject(new ApiError(0, "aborted", "Upload cancelled."));
      if (aborted) return x.abort();
      x.send(form);
    });
  const done = withAuth(once).then((x) => {
    if (x.status < 200 || x.status > 299) throw parseError(x.status, x.statusText, x.responseText, x.getResponseHeader("retry-after"));
    try {
      return JSON.parse(x.responseText) as T;
    } catch {
      throw new ApiError(x.status, "bad_response", "The server sent an unreadable answer.");
    }
  });
  return {
    done,
    abort() {
      aborted = true;
      xhr?.abort();
    },
  };
}

/** POST one file to /api/rooms/:id/uploads; `onProgress` gets 0..1. */
export function uploadFile(room: string, file: File, onProgress: (f: number) => void): UploadHandle {
  const form = new FormData();
  form.append("file", file, file.name || "pasted-file");
  const h = postForm<{ upload: Attachment }>(`/api/rooms/${encodeURIComponent(room)}/uploads`, form, onProgress);
  return { done: h.done.then((r) => r.upload), abort: h.abort };
}

const blobs = new Map<string, Promise<string>>();

/** Fetch an upload with the bearer header and return a cached blob: URL. */
export function uploadUrl(id: string): Promise<string> {
  let p = blobs.get(id);
  if (p) return p;
  p = (async () => {
    const res = await authFetch(`/api/uploads/${encodeURIComponent(id)}`);
    if (res.status === 404) throw new ApiError(404, "not_found", "This file is no longer available.");
    await ensureOk(res);
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
export const isAudio = (mime: string) => /^audio\/(ogg|webm|mp4|mpeg)$/.test(mime);
