// WebSocket gateway: the Origin check before upgrade, hello/welcome/resume, frames ↔ services.

import type { Server, WebSocketHandler } from "bun";
import { AppError, ERROR_CODES, errorResponse } from "../errors";
import type { Context } from "../context";
import { CLOSE, LIMITS, type ErrorCode } from "../protocol/types";
import { FRAME_SCHEMAS, firstError, inputProblem, isFrame, isFrameType, type ClientFrame, type ClientFrameOf } from "../protocol/schemas";
import { verifyAccess } from "../features/auth/tokens";
import { publicUser } from "../features/auth/service";
import { requestAddress } from "../features/auth/client-address";
import { requireMember, type Rooms } from "../features/rooms/service";
import type { Messages } from "../features/messages/service";
import type { Written } from "../features/messages/writer";
import type { SocketData, WS } from "./hub";
import { errorFrame, okFrame, pongFrame, publishRoomSignal, receiptFrame, typingFrame, welcomeFrame } from "./publish";
import { createDelivered } from "./delivered";
import { TurnGate } from "./turn-gate";

const WRITE_FRAMES = new Set<string>(["send", "edit", "delete", "react"]);
const FLOOD_WINDOW_MS = 10_000;
const TYPING_THROTTLE_MS = 1_000;
/** Frames a client may send between hello and welcome; they run once the welcome is out. */
const MAX_EARLY_FRAMES = 64;
const CLOSE_LINGER_MS = 250;
/** How often every socket's send backlog is compared with --ws-backlog (topic publishes report nothing per socket). */
const BACKLOG_SWEEP_MS = 250;
/**
 * Bun's own limit is a backstop at this multiple of --ws-backlog: past it Bun ends the socket with
 * 1006 and no sign. The sweep acts first at any rate below (factor - 1) × --ws-backlog per sweep
 * period (4 MiB/s per socket with the defaults), and the close frame still fits under Bun's limit.
 */
const BUN_BACKLOG_FACTOR = 2;
/** Hellos that read the store per event-loop turn (a few hundred µs each): see TurnGate. */
const HELLOS_PER_TURN = 16;

export interface GatewayDeps {
  rooms: Rooms;
  messages: Messages;
}

interface Conn extends SocketData {
  phase: "new" | "auth" | "ready";
  early?: string[];
  /** Frames waiting for a shared rate limiter's answer; later frames queue behind them. */
  limiting?: Promise<void>;
  /** The user this socket watches on the bus (from hello on); released when it closes. */
  watching?: string;
  /** Closed for not reading (counted once). */
  tooSlow?: boolean;
}

export function createGateway(ctx: Context, deps: GatewayDeps) {
  const { config, clock, hub, log, store, bus } = ctx;
  const writes = ctx.limits.limiter("ws-write-frames-per-user", { burst: config.writeBurst, perSec: config.writeRatePerSec });
  const reads = ctx.limits.limiter("ws-read-frames-per-user", { burst: config.readBurst, perSec: config.readRatePerSec });
  const lastTyping = new Map<string, number>();
  const all = new Set<WS>();
  const countFrame = ctx.metrics.counter("parley_ws_frames_in_total", "client frames accepted (valid), by type", "type", Object.keys(FRAME_SCHEMAS));
  const countError = ctx.metrics.counter("parley_ws_errors_total", "error frames sent, by code", "code", ERROR_CODES);
  ctx.metrics.sample("parley_connections", "open WebSocket connections on this instance, authenticated or not", "gauge", () => all.size);
  const countSlowClose = ctx.metrics.count("parley_slow_consumer_closes_total", "sockets closed for not reading: their backlog passed --ws-backlog");
  let sweeper: ReturnType<typeof setInterval> | undefined;
  const delivered = createDelivered(ctx, (room) => hub.publishedSeq(room));
  const helloGate = new TurnGate(HELLOS_PER_TURN);
  ctx.metrics.sample("parley_hellos_queued", "authenticated hellos waiting for their turn to read the store", "gauge", () => helloGate.queued);
  let closing = false;

  /**
   * A socket that does not read: closed with its own code (4013, not Bun's anonymous 1006), counted
   * and logged. The close frame queues behind the backlog; the client resumes by seq when it reconnects.
   * `via`: a frame sent to this socket alone found the backlog, or the periodic sweep did (room traffic).
   */
  function closeSlow(ws: WS, via: "send" | "sweep") {
    const c = ws.data as Conn;
    if (c.closed || c.tooSlow) return;
    c.tooSlow = true;
    countSlowClose();
    log.warn("slow consumer closed", { conn: c.sessionId, userId: c.userId, queuedBytes: ws.getBufferedAmount(), limitBytes: config.wsBacklogBytes, via, closeCode: CLOSE.SLOW_CONSUMER });
    ws.close(CLOSE.SLOW_CONSUMER, "not reading: backlog over the limit; resume by seq");
  }
  hub.onBacklog = (ws) => closeSlow(ws, "send");
  /** Runs while any socket is open: one buffered-amount read per socket per BACKLOG_SWEEP_MS. */
  function sweep() {
    for (const ws of all) if (ws.getBufferedAmount() > config.wsBacklogBytes) closeSlow(ws, "sweep");
  }

  function originAllowed(origin: string, req: Request): boolean {
    if (config.allowedOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === req.headers.get("host");
    } catch {
      return false;
    }
  }

  /** Returns a Response when the handshake is refused (never a 101 for a refused one). */
  function upgrade(req: Request, server: Server<SocketData>): Response | undefined {
    const origin = req.headers.get("origin");
    if (origin !== null && !originAllowed(origin, req)) return errorResponse(new AppError("forbidden", "origin not allowed"));
    if (closing) return errorResponse(new AppError("internal", "server restarting"));
    const data: Conn = { sessionId: ctx.ids.id(), ip: requestAddress(config.trustProxy, server, req), rooms: new Set(), rejected: [], phase: "new" };
    if (server.upgrade(req, { data })) return undefined;
    return errorResponse(new AppError("invalid_request", "expected a WebSocket upgrade"));
  }

  /** An ok carrying the written event (or none, when the action changed nothing). */
  const ackEvent = (ws: WS, id: string | undefined) => (w: Written | undefined) => hub.send(ws, okFrame(id, w ? { eventJson: w.eventJson } : {}));

  function reject(ws: WS, id: string | undefined, code: ErrorCode, message: string, retryAfterMs?: number, extra: { room?: string } = {}) {
    countError(code);
    hub.send(ws, errorFrame(id, code, message, { retryAfterMs, room: extra.room }));
    // The server's own failure (or its restart refusing sends) is never the client's flood.
    if (code === "internal") return;
    const now = clock.now();
    const r = ws.data.rejected;
    r.push(now);
    while (r.length > 0 && r[0] < now - FLOOD_WINDOW_MS) r.shift();
    if (r.length >= config.floodCloseAfter) ws.close(CLOSE.POLICY, "too many rejected frames");
  }

  function fail(ws: WS, id: string | undefined, err: unknown) {
    if (err instanceof AppError) return reject(ws, id, err.code, err.message, err.retryAfterMs);
    log.error("frame failed", { conn: ws.data.sessionId, userId: ws.data.userId, err: String(err), stack: (err as Error)?.stack });
    reject(ws, id, "internal", "internal error");
  }

  /** Why a user may not act in a room they are not in: 403 for public rooms, 404 otherwise. */
  async function notMember(ws: WS, id: string | undefined, room: string) {
    try {
      await requireMember(ctx, room, ws.data.userId!);
      reject(ws, id, "forbidden", "not a member of this room"); // joined a moment ago; catch-up pending
    } catch (e) {
      fail(ws, id, e);
    }
  }

  async function hello(ws: WS, f: ClientFrameOf<"hello">) {
    const c = ws.data as Conn;
    let userId: string;
    let sid: string;
    try {
      ({ userId, sid } = await verifyAccess(ctx, f.token));
    } catch (e) {
      return ws.close(CLOSE.UNAUTHENTICATED, (e as AppError).code === "token_expired" ? "token expired" : "invalid token");
    }
    if (c.closed) return;
    // Authenticated in time; what is left may wait for its turn (helloGate).
    clearTimeout(c.helloTimer);
    c.helloTimer = undefined;
    const turn = helloGate.enter();
    if (turn) await turn;
    if (c.closed) return;
    // Watched before anything about the user is read: a member event or a deactivation published
    // after these reads reaches this node (with a bus of several nodes).
    c.watching = userId;
    await hub.watchUser(userId);
    const user = await store.userById(userId);
    if (!user) return ws.close(CLOSE.UNAUTHENTICATED, "unknown user");
    if (user.deactivatedAt) return ws.close(CLOSE.BANNED, "account deactivated");
    if (ctx.endedSessions.has(sid)) return ws.close(CLOSE.UNAUTHENTICATED, "session ended");
    if (c.closed) return;
    c.userId = user.id;
    c.authSession = sid;
    const epoch = hub.epoch(user.id);
    const [rooms, peers] = await Promise.all([deps.rooms.mine(user.id), store.coMembers(user.id)]);
    if (c.closed) return;
    hub.send(ws, welcomeFrame({
      user: publicUser(user), sessionId: c.sessionId,
      serverTime: clock.now(), rooms, presence: ctx.presence.snapshot(peers),
    }));
    hub.addSocket(ws);
    // The session may have ended while this hello was reading: its `ended` message found no socket here.
    if (ctx.endedSessions.has(sid)) return ws.close(CLOSE.UNAUTHENTICATED, "session ended");
    const since = f.since ?? {};
    const resumes = rooms.map((r) =>
      since[r.id] !== undefined ? hub.catchUp(ws, r.id, since[r.id], config.replayLimit) : hub.catchUp(ws, r.id, r.lastSeq),
    );
    ctx.presence.connected(user.id); // after catchUp() registered the rooms: they hear "online"
    const mine = new Set(rooms.map((r) => r.id));
    for (const room of Object.keys(since)) {
      if (!mine.has(room)) {
        requireMember(ctx, room, user.id).then(
          () => undefined,
          (e: AppError) => reject(ws, undefined, e.code, e.message, undefined, { room }),
        );
      }
    }
    c.phase = "ready";
    log.debug("ws ready", { conn: c.sessionId, userId: user.id, rooms: rooms.length, resumed: Object.keys(since).length });
    for (const raw of c.early?.splice(0) ?? []) onFrame(ws, raw);
    await Promise.all(resumes);
    // A member event for this user between the read above and addSocket found no socket here.
    if (hub.epoch(user.id) !== epoch) {
      for (const r of await store.roomsOf(user.id)) if (!ws.data.rooms.has(r.id) && !c.closed) void hub.catchUp(ws, r.id, Math.max(0, r.readSeq - 1));
    }
  }

  function onFrame(ws: WS, raw: string | Buffer) {
    const c = ws.data as Conn;
    if (typeof raw !== "string") return reject(ws, undefined, "invalid_request", "binary frames are not supported");
    if (c.phase === "auth") {
      (c.early ??= []).push(raw);
      if (c.early.length > MAX_EARLY_FRAMES) ws.close(CLOSE.POLICY, "too many frames before welcome");
      return;
    }
    let f: Record<string, unknown>;
    try {
      f = JSON.parse(raw);
    } catch {
      if (c.phase === "new") return ws.close(CLOSE.UNAUTHENTICATED, "hello expected");
      return reject(ws, undefined, "invalid_request", "malformed JSON");
    }
    if (typeof f !== "object" || f === null || Array.isArray(f)) {
      if (c.phase === "new") return ws.close(CLOSE.UNAUTHENTICATED, "hello expected");
      return reject(ws, undefined, "invalid_request", "a frame is a JSON object");
    }
    const id = typeof f.id === "string" && f.id.length <= LIMITS.REQUEST_ID_MAX ? f.id : undefined;
    const type = f.type;
    if (c.phase === "new") {
      if (type !== "hello" || !isFrame("hello", f)) return ws.close(CLOSE.UNAUTHENTICATED, "hello expected");
      countFrame(type);
      c.phase = "auth";
      hello(ws, f).catch((e) => {
        log.error("hello failed", { conn: c.sessionId, err: String(e) });
        ws.close(CLOSE.UNAUTHENTICATED, "hello failed");
      });
      return;
    }
    if (!isFrameType(type)) return reject(ws, id, "invalid_request", `unknown frame type ${JSON.stringify(String(type)).slice(0, 40)}`);
    if (type === "hello") return reject(ws, id, "invalid_request", "already authenticated");
    const problem = inputProblem(f);
    if (problem) return reject(ws, id, "invalid_request", problem);
    if (!isFrame(type, f)) return reject(ws, id, "invalid_request", firstError(type, f));
    countFrame(type);
    const userId = c.userId!;
    if (type !== "ping") ctx.presence.activity(userId);
    const wait = (WRITE_FRAMES.has(type) ? writes : reads).take(userId);
    // One node answers synchronously: no promise per frame. A shared limiter answers later; this
    // socket's next frames then wait behind it, and each runs in a task of its own, as frames read
    // off the socket do. Why: Redis answers a batch of takes in one read; run in one microtask burst,
    // a later send overtook an earlier one still a few microtasks deep in the room's send policy.
    if (typeof wait === "number" && !c.limiting) return admit(ws, id, f, wait);
    const tail: Promise<void> = Promise.all([c.limiting, wait]).then(
      ([, ms]) =>
        new Promise<void>((done) =>
          setImmediate(() => {
            if (c.limiting === tail) c.limiting = undefined;
            try {
              admit(ws, id, f, ms);
            } catch (e) {
              fail(ws, id, e);
            }
            done();
          }),
        ),
    );
    c.limiting = tail;
  }

  /** Once the rate limit has answered: refuse, or check membership and run the frame. */
  function admit(ws: WS, id: string | undefined, f: Exclude<ClientFrame, { type: "hello" }>, wait: number) {
    if (wait > 0) return reject(ws, id, "rate_limited", "rate limited, slow down", wait);
    // Schemas allow extra fields: a stray `room` on a ping is checked too, as it always was.
    if ("room" in f && !ws.data.rooms.has(f.room)) return void notMember(ws, id, f.room);
    dispatch(ws, id, f);
  }

  /** Runs a validated frame; `f.type` picks the case and types `f` as that frame. */
  function dispatch(ws: WS, id: string | undefined, f: Exclude<ClientFrame, { type: "hello" }>) {
    const userId = ws.data.userId!;
    switch (f.type) {
      case "send":
        if (closing) return reject(ws, id, "internal", "server restarting; resend after reconnecting");
        deps.messages.send(userId, f).then((w) => hub.send(ws, okFrame(id, { eventJson: w.eventJson })), (e) => fail(ws, id, e));
        return;
      case "history":
        deps.messages.history(userId, f.room, f).then((p) => hub.send(ws, okFrame(id, p)), (e) => fail(ws, id, e));
        return;
      case "edit":
        return void deps.messages.edit(userId, f).then(ackEvent(ws, id), (e) => fail(ws, id, e));
      case "delete":
        return void deps.messages.remove(userId, f).then(ackEvent(ws, id), (e) => fail(ws, id, e));
      case "react":
        return void deps.messages.react(userId, f).then(ackEvent(ws, id), (e) => fail(ws, id, e));
      case "read":
        store.advanceRead(f.room, userId, f.seq).then((seq) => {
          hub.send(ws, okFrame(id, { seq }));
          publishRoomSignal(bus, f.room, receiptFrame(f.room, userId, seq, delivered.noteRead(f.room, userId, seq)));
        }, (e) => fail(ws, id, e));
        return;
      case "delivered":
        delivered.report(f.room, userId, f.seq).then((seq) => void (id !== undefined && hub.send(ws, okFrame(id, { seq }))), (e) => fail(ws, id, e));
        return;
      case "presence":
        ctx.presence.set(userId, f.status);
        return void hub.send(ws, okFrame(id));
      case "typing": {
        const key = userId + "\0" + f.room;
        const now = clock.now();
        if ((lastTyping.get(key) ?? 0) + TYPING_THROTTLE_MS > now) return void (id !== undefined && hub.send(ws, okFrame(id)));
        if (lastTyping.size > 50_000) for (const [k, t] of lastTyping) if (t + TYPING_THROTTLE_MS <= now) lastTyping.delete(k);
        lastTyping.set(key, now);
        publishRoomSignal(bus, f.room, typingFrame(f.room, userId, now + LIMITS.TYPING_TTL_MS));
        if (id !== undefined) hub.send(ws, okFrame(id));
        return;
      }
      case "ping":
        return void hub.send(ws, pongFrame(id, clock.now()));
      default:
        f satisfies never; // a frame type added to schemas.ts does not compile until it has a case here
    }
  }

  const handlers: WebSocketHandler<SocketData> = {
    maxPayloadLength: LIMITS.FRAME_MAX_BYTES, // Bun's default is 16 MB
    // closeSlow() closes a slow reader at --ws-backlog; Bun's limit is the backstop above it (never a silent skip).
    backpressureLimit: config.wsBacklogBytes * BUN_BACKLOG_FACTOR,
    closeOnBackpressureLimit: true,
    idleTimeout: 120,
    sendPings: true,
    perMessageDeflate: false,
    open(ws) {
      log.debug("ws open", { conn: ws.data.sessionId, ip: ws.data.ip });
      all.add(ws);
      sweeper ??= setInterval(sweep, BACKLOG_SWEEP_MS);
      ws.data.helloTimer = setTimeout(() => {
        if ((ws.data as Conn).phase !== "ready") ws.close(CLOSE.UNAUTHENTICATED, "no hello in time");
      }, config.helloTimeoutMs);
    },
    message: onFrame,
    close(ws, closeCode) {
      log.debug("ws closed", { conn: ws.data.sessionId, userId: ws.data.userId, closeCode });
      ws.data.closed = true;
      clearTimeout(ws.data.helloTimer);
      all.delete(ws);
      if (all.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
      hub.removeSocket(ws);
      const watching = (ws.data as Conn).watching;
      if (watching !== undefined) hub.unwatchUser(watching);
      if ((ws.data as Conn).phase === "ready") ctx.presence.disconnected(ws.data.userId!, ws.data.rooms);
    },
  };

  return {
    upgrade,
    handlers,
    get connections() {
      return all.size;
    },
    /** Writes the delivered marks still pending (graceful stop, before the store closes). */
    flushDelivered: () => delivered.flush(),
    /** Graceful shutdown, step 1: no new sends accepted. */
    stopAccepting() {
      closing = true;
    },
    /**
     * Sends every socket a close frame and resolves once they are gone (or after `waitMs`), plus a
     * short linger: a peer still writing would otherwise meet a reset that swallows the close frame
     * (it then sees 1006 instead of 1012 and does not know to resume calmly).
     */
    async closeAll(code: number, reason: string, waitMs = 2_000) {
      const had = all.size;
      for (const ws of [...all]) ws.close(code, reason);
      const deadline = Date.now() + waitMs;
      while (all.size > 0 && Date.now() < deadline) await Bun.sleep(10);
      if (had > 0) await Bun.sleep(CLOSE_LINGER_MS);
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
