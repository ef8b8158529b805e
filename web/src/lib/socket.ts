// WebSocket connection: hello handshake, request/reply by id, heartbeat, jittered exponential reconnect.
import { createSignal } from "solid-js";
import type { ClientFrame, ServerFrame } from "../../../server/protocol/types";
import { ApiError } from "./errors";

export type SocketStatus = "idle" | "connecting" | "open" | "reconnecting";
type Ok = Extract<ServerFrame, { type: "ok" }>;
type Err = Extract<ServerFrame, { type: "error" }>;


export interface SocketHooks {
  hello(): ClientFrame | null;
  onFrame(frame: ServerFrame): void;
  /** Close 4001: the token is stale. Return true to reconnect at once. */
  onUnauthenticated(): Promise<boolean>;
  onBanned(): void;
}

const [status, setStatus] = createSignal<SocketStatus>("idle");
const [nextRetryAt, setNextRetryAt] = createSignal(0);
export { status as socketStatus, nextRetryAt };

let ws: WebSocket | null = null;
let hooks: SocketHooks | null = null;
let attempt = 0;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let pingTimer: ReturnType<typeof setInterval> | undefined;
let lastFrameAt = 0;
let seq = 0;
let wanted = false;
let authFailures = 0;
const pending = new Map<string, { resolve(f: Ok): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();

export function startSocket(h: SocketHooks): void {
  hooks = h;
  wanted = true;
  attempt = 0;
  open();
}

export function stopSocket(): void {
  wanted = false;
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  detach();
  failPending();
  setStatus("idle");
}

/** Reconnect now (e.g. after the browser reports it is online again). */
export function reconnectNow(): void {
  if (!wanted || status() === "open" || status() === "connecting") return;
  clearTimeout(retryTimer);
  open();
}

function failPending(): void {
  for (const [, p] of pending) {
    clearTimeout(p.timer);
    p.reject(new ApiError(0, "disconnected", "Connection lost"));
  }
  pending.clear();
}

function detach(): void {
  const old = ws;
  ws = null;
  if (!old) return;
  old.onopen = old.onmessage = old.onclose = old.onerror = null;
  try {
    old.close(4000);
  } catch {
    /* already closed */
  }
}

function open(): void {
  clearTimeout(retryTimer);
  detach();
  setStatus(attempt === 0 ? "connecting" : "reconnecting");
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  let sock: WebSocket;
  try {
    sock = new WebSocket(`${proto}//${location.host}/ws`);
  } catch {
    scheduleRetry();
    return;
  }
  ws = sock;
  sock.onopen = () => {
    if (ws !== sock) return;
    const hello = hooks?.hello();
    if (!hello) {
      sock.close(1000);
      return;
    }
    sock.send(JSON.stringify(hello));
  };
  sock.onmessage = (m) => {
    if (ws !== sock) return;
    lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(m.data));
    } catch {
      return;
    }
    if (frame.type === "welcome") {
      attempt = 0;
      authFailures = 0;
      setStatus("open");
      startHeartbeat(sock);
    }
    if ((frame.type === "ok" || frame.type === "error") && frame.id && pending.has(frame.id)) {
      const p = pending.get(frame.id)!;
      pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.type === "ok") p.resolve(frame);
      else p.reject(new ApiError(0, frame.code, frame.message, (frame as Err).retryAfterMs));
      return;
    }
    hooks?.onFrame(frame);
  };
  sock.onclose = (ev) => {
    if (ws !== sock) return;
    ws = null;
    clearInterval(pingTimer);
    failPending();
    if (!wanted) return setStatus("idle");
    if (ev.code === 4003) {
      wanted = false;
      setStatus("idle");
      hooks?.onBanned();
      return;
    }
    if (ev.code === 4001 && hooks && ++authFailures <= 2) {
      setStatus("reconnecting");
      void hooks.onUnauthenticated().then((ok) => (ok && wanted ? open() : scheduleRetry()));
      return;
    }
    // Everything else reconnects with backoff and resumes by seq, signed in: 1012 (restart), 1006,
    // 4013 (closed for reading too slowly: its backlog passed the server's limit). 4008 (flooding) waits longer.
    scheduleRetry(ev.code === 4008 ? 4 : 0);
  };
}

function scheduleRetry(extra = 0): void {
  if (!wanted) return;
  setStatus("reconnecting");
  attempt++;
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt + extra - 1, 8));
  const delay = Math.round(base / 2 + Math.random() * (base / 2));
  setNextRetryAt(Date.now() + delay);
  retryTimer = setTimeout(open, delay);
}

function startHeartbeat(sock: WebSocket): void {
  clearInterval(pingTimer);
  lastFrameAt = Date.now();
  pingTimer = setInterval(() => {
    if (ws !== sock) return;
    if (Date.now() - lastFrameAt > 45_000) {
      // Silent for too long: assume the link is dead.
      sock.close(4000);
      ws = null;
      failPending();
      scheduleRetry();
      return;
    }
    send({ type: "ping" });
  }, 20_000);
}

export function isOpen(): boolean {
  return status() === "open" && ws?.readyState === WebSocket.OPEN;
}

/** Fire-and-forget; returns false when not connected. */
export function send(frame: ClientFrame): boolean {
  if (!ws || ws.readyState !== WebSocket.OPEN || status() !== "open") return false;
  ws.send(JSON.stringify(frame));
  return true;
}

/** Send with an id and await its `ok` (rejects with ApiError on `error`, disconnect or timeout). */
export function request(frame: ClientFrame, id?: string, timeoutMs = 15_000): Promise<Ok> {
  return new Promise((resolve, reject) => {
    const rid = id ?? `r${++seq}`;
    const withId = { ...frame, id: rid } as ClientFrame;
    if (!send(withId)) return reject(new ApiError(0, "disconnected", "Not connected"));
    const timer = setTimeout(() => {
      pending.delete(rid);
      reject(new ApiError(0, "timeout", "No reply from the server"));
    }, timeoutMs);
    pending.set(rid, { resolve, reject, timer });
  });
}

if (typeof window !== "undefined") {
  window.addEventListener("online", () => reconnectNow());
  window.addEventListener("offline", () => {
    // Browsers may keep a dead socket open for a while; drop it so the banner is honest.
    if (ws) {
      const s = ws;
      ws = null;
      clearInterval(pingTimer);
      s.close(4000);
      failPending();
      if (wanted) scheduleRetry();
    }
  });
}
