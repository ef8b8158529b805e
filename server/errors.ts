// The one error type: AppError(code) maps to an HTTP status and a WebSocket error frame.

import type { ErrorCode } from "./protocol/types";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_type: 415,
  rate_limited: 429,
  registration_closed: 403,
  invite_required: 403,
  invalid_invite: 403,
  last_admin: 409,
  internal: 500,
};

/** Every error code, as values (metrics count errors by code). */
export const ERROR_CODES = Object.keys(STATUS) as ErrorCode[];

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_request: "invalid request",
  unauthenticated: "authentication required",
  invalid_credentials: "wrong username or password",
  token_expired: "token expired",
  forbidden: "not allowed",
  not_found: "not found",
  conflict: "already exists",
  too_large: "too large",
  unsupported_type: "this file type is not allowed",
  rate_limited: "too many requests, slow down",
  registration_closed: "registration is closed on this server",
  invite_required: "an invite is required to register",
  invalid_invite: "this invite is not valid",
  last_admin: "the last server admin cannot be removed",
  internal: "internal error",
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;
  constructor(code: ErrorCode, message?: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message ?? DEFAULT_MESSAGE[code], { cause: opts.cause });
    this.code = code;
    this.retryAfterMs = opts.retryAfterMs;
  }
  get status(): number {
    return STATUS[this.code];
  }
}

/** HTTP body for an error: {"error":{"code","message"}}. */
export function errorBody(e: AppError) {
  return { error: { code: e.code, message: e.message } };
}

export function errorResponse(e: AppError, requestId?: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json", "x-content-type-options": "nosniff" };
  if (e.retryAfterMs !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(e.retryAfterMs / 1000)));
  if (requestId) headers["x-request-id"] = requestId;
  return new Response(JSON.stringify(errorBody(e)), { status: e.status, headers });
}
