// Request bodies: a small cap for every JSON route, larger ones only where a route says so (the table),
// JSON only on the API, all enforced before a byte is parsed, each refusal in the error envelope.

import { AppError } from "./errors";
import type { Config } from "./config";
import { AVATAR_MAX_BYTES } from "./features/account/service";
import { boundaryOf, MultipartError, MultipartParser } from "./multipart";

/** Every body not in BODY_RULES: JSON commands are small (the largest, a message edit, is ~16 KB). */
export const SMALL_BODY_MAX_BYTES = 64 * 1024;
/** Room for the multipart boundary, part headers and the filename around a file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export interface BodyRule {
  method: string;
  path: RegExp;
  maxBytes(config: Config): number;
  /** "json": only `application/json`; "any": the route reads and checks its own body type. */
  type: "json" | "any";
}

/**
 * Routes that take more than SMALL_BODY_MAX_BYTES or a body that is not JSON. A route not listed
 * gets the small cap and JSON only. A large body must declare its Content-Length (browsers always
 * do for files): it is refused before it is read when over, and an undeclared (chunked) one could
 * only be counted while it is read.
 */
export const BODY_RULES: readonly BodyRule[] = [
  { method: "POST", path: /^\/api\/rooms\/[^/]+\/uploads$/, maxBytes: (c) => c.uploadMaxBytes + MULTIPART_OVERHEAD_BYTES, type: "any" },
  { method: "PUT", path: /^\/api\/me\/avatar$/, maxBytes: () => AVATAR_MAX_BYTES + MULTIPART_OVERHEAD_BYTES, type: "any" },
  // The PWA share target: a form with shared files, normally taken by the service worker. The
  // server's route only redirects to the app and never reads it, so a share is not refused for size.
  { method: "POST", path: /^\/share$/, maxBytes: (c) => c.uploadMaxBytes + MULTIPART_OVERHEAD_BYTES, type: "any" },
];

const SMALL: BodyRule = { method: "*", path: /^/, maxBytes: () => SMALL_BODY_MAX_BYTES, type: "json" };

export function bodyRule(method: string, path: string): BodyRule {
  return BODY_RULES.find((r) => r.method === method && r.path.test(path)) ?? SMALL;
}

/**
 * Checks a request's declared body before routing (Elysia `onRequest`): over its route's cap is
 * too_large, a body of another type than JSON on an API route is unsupported_type (a cross-site
 * HTML form can post urlencoded, multipart or text/plain bodies without a preflight, never JSON).
 */
export function checkDeclaredBody(request: Request, path: string, config: Config): void {
  const length = request.headers.get("content-length");
  const chunked = request.headers.has("transfer-encoding");
  if (!chunked && (length === null || length === "0")) return; // no body
  const rule = bodyRule(request.method, path);
  const max = rule.maxBytes(config);
  if (length !== null && Number(length) > max) throw new AppError("too_large", `request body is larger than ${max} bytes`);
  if (length === null && max > SMALL_BODY_MAX_BYTES) throw new AppError("invalid_request", "this route needs a Content-Length");
  if (rule.type === "json" && path.startsWith("/api/") && !isJson(request.headers.get("content-type"))) {
    throw new AppError("unsupported_type", "request bodies are JSON: send Content-Type: application/json");
  }
}

export function isJson(contentType: string | null): boolean {
  return (contentType ?? "").split(";")[0].trim().toLowerCase() === "application/json";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads and parses a JSON body (Elysia `onParse`), counting bytes as they arrive: a chunked body
 * is refused once past the cap, without waiting for its end. Invalid UTF-8 is refused rather than
 * replaced, like every other text that cannot be stored as sent.
 */
export async function readJson(request: Request, max: number): Promise<unknown> {
  const reader = request.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => {});
      throw new AppError("too_large", `request body is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  if (size === 0) return null; // no body: a route that needs one says so in its schema
  let text: string;
  try {
    text = utf8.decode(Buffer.concat(chunks));
  } catch {
    throw new AppError("invalid_request", "request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "malformed request body");
  }
}

/**
 * The `file` field of a multipart body of at most `maxBytes` of file, read into memory whole (an
 * avatar: ≤ 1 MiB; uploads stream, see streamFileField): a larger declared length is refused before
 * the body is read; `tooLarge` says what the limit is about.
 */
export async function readFileField(request: Request, maxBytes: number, tooLarge: string): Promise<File> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes + MULTIPART_OVERHEAD_BYTES) throw new AppError("too_large", tooLarge);
  if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
    throw new AppError("invalid_request", "expected multipart/form-data with a `file` field");
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new AppError("invalid_request", "malformed multipart body");
  }
  const file = form.get("file");
  if (!(file instanceof File)) throw new AppError("invalid_request", "missing `file` field");
  return file;
}

/** Where streamFileField writes a file's bytes as they arrive; a write that throws ends the read with its error. */
export interface FileSink {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * Streams the `file` field of a multipart body into the sink `open(filename)` gives, chunk by chunk
 * as the body arrives (never the whole file in memory), and resolves with its name and size once
 * the whole body has been read and found well-formed. Refused with the envelope: a declared length
 * over the cap before a byte is read; a file past `maxBytes` as soon as it passes it (too_large,
 * `tooLarge` says what the limit is about); not multipart with a boundary, a body cut short, no
 * `file` part or two of them, a client gone mid-body (invalid_request). Fields other than `file`
 * are skipped. On any refusal the body is cancelled; the caller throws away what its sink got.
 */
export async function streamFileField(
  request: Request,
  maxBytes: number,
  tooLarge: string,
  open: (filename: string) => Promise<FileSink>,
): Promise<{ filename: string; size: number }> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes + MULTIPART_OVERHEAD_BYTES) throw new AppError("too_large", tooLarge);
  const boundary = boundaryOf(request.headers.get("content-type"));
  if (boundary === undefined) throw new AppError("invalid_request", "expected multipart/form-data with a boundary and a `file` field");
  const reader = request.body?.getReader();
  if (!reader) throw new AppError("invalid_request", "missing `file` field");
  const parser = new MultipartParser(boundary);
  let file: { filename: string; size: number } | undefined;
  let sink: FileSink | undefined; // the part being read is the file
  let total = 0;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch {
        throw new AppError("invalid_request", "the upload was interrupted");
      }
      if (chunk.done) break;
      // Everything counts, so a body of endless small fields (or preamble) is refused too.
      total += chunk.value.byteLength;
      if (total > maxBytes + MULTIPART_OVERHEAD_BYTES) throw new AppError("too_large", tooLarge);
      for (const e of parser.push(chunk.value)) {
        if (e.type === "part") {
          sink = undefined;
          if (e.name !== "file") continue;
          if (e.filename === undefined) throw new AppError("invalid_request", "the `file` field is not a file");
          if (file) throw new AppError("invalid_request", "more than one `file` field");
          file = { filename: e.filename, size: 0 };
          sink = await open(e.filename);
        } else if (sink && file) {
          file.size += e.bytes.byteLength;
          if (file.size > maxBytes) throw new AppError("too_large", tooLarge);
          await sink.write(e.bytes);
        }
      }
    }
    parser.end();
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e instanceof MultipartError ? new AppError("invalid_request", e.message) : e;
  }
  if (!file) throw new AppError("invalid_request", "missing `file` field");
  return file;
}
