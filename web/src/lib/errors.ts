// The client's one error type (HTTP and WebSocket), its one parser and its one error-to-text function.
import { formatSize } from "./format";

/** A refused or failed request. `status` is the HTTP status, 0 for network and WebSocket errors. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    /** How long to wait before trying again (ms), from `Retry-After` or a frame's `retryAfterMs`. */
    public retryAfterMs?: number,
  ) {
    super(message);
  }
}

export const networkError = () => new ApiError(0, "network", "Can't reach the server. Check your connection.");

/** An HTTP error answer (the contract's `{"error":{code,message}}` envelope, or anything else) → ApiError. */
export function parseError(status: number, statusText: string, body: string, retryAfter: string | null): ApiError {
  let code = "http_" + status;
  let message = statusText || "Request failed";
  try {
    const parsed = JSON.parse(body);
    if (parsed?.error) {
      code = parsed.error.code ?? code;
      message = parsed.error.message ?? message;
    }
  } catch {
    /* not JSON */
  }
  const sec = retryAfter ? Number(retryAfter) : NaN;
  return new ApiError(status, code, message, sec > 0 ? sec * 1000 : undefined);
}

/** The retry delay in whole seconds, for people. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * A human message for an error, fit to show in the UI. `file` names the file of a failed upload
 * (already quoted), so the text can say which one.
 */
export function describeError(e: unknown, file?: string): string {
  if (!(e instanceof ApiError)) return "Something went wrong. Please try again.";
  const code = e.status === 429 ? "rate_limited" : e.status === 415 ? "unsupported_type" : e.status === 413 ? "too_large" : e.code;
  switch (code) {
    case "invalid_credentials":
      return "Wrong username or password.";
    case "network":
    case "aborted":
      return e.message;
    case "disconnected":
      return "You're offline.";
    case "timeout":
      return "The server did not answer. Please try again.";
    case "rate_limited": {
      if (!e.retryAfterMs) return "Too many attempts. Please wait a moment.";
      const s = seconds(e.retryAfterMs);
      return `Too many attempts. Try again in ${s} second${s === 1 ? "" : "s"}.`;
    }
    case "unsupported_type":
      return `${file ?? "This file"} can't be shared: only images (PNG, JPEG, GIF, WebP), PDF, ZIP and plain text files are allowed.`;
    case "too_large": {
      const n = Number(/(\d{4,})/.exec(e.message)?.[1]);
      return `${file ?? "This file"} is too large${n ? ` (the limit is ${formatSize(n)})` : ""}.`;
    }
    case "registration_closed":
      return "This server does not accept new accounts.";
    case "invite_required":
      return "This server is invite-only: you need an invite link from an administrator to create an account.";
    case "invalid_invite":
      return "This invite link is no longer valid (it may have expired, been used up or been revoked). Ask for a new one.";
    case "last_admin":
      return "You are the last administrator: make someone else an administrator first.";
    case "session_ended":
      return "You were signed out.";
  }
  if (file) return `Couldn't upload ${file}: ${e.message || "please try again."}`;
  if (e.status === 409) return e.message || "That already exists.";
  return e.message || `Request failed (${e.status}).`;
}
