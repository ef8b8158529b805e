// listen(ctx): Bun.serve with the Elysia app for HTTP and the gateway for /ws; graceful stop.

import type { Server } from "bun";
import type { Context } from "./context";
import { createApp, createServices } from "./app";
import { createGateway } from "./realtime/gateway";
import type { SocketData } from "./realtime/hub";
import { CLOSE } from "./protocol/types";

export interface Running {
  server: Server<SocketData>;
  url: string;
  /**
   * Graceful stop: /readyz turns 503 at once, no new WebSockets or sends; commit every queued write,
   * close sockets with 1012, stop listening, close the bus and the store.
   */
  stop(): Promise<void>;
}

/**
 * Bun's own cap answers a bare 413 with no error envelope, so it is set past any body a client
 * sends: every route's cap is enforced by the app instead (body-limits.ts), before reading.
 */
const BUN_BODY_CAP_BYTES = Number.MAX_SAFE_INTEGER;

/** A request's path as logged: no query string (OIDC codes), and an invite's code (a credential) left out. */
export function loggedPath(path: string): string {
  const q = path.indexOf("?");
  return (q < 0 ? path : path.slice(0, q)).replace(/^\/api\/invites\/[^/]+/, "/api/invites/:code");
}

export function listen(ctx: Context): Running {
  const services = createServices(ctx);
  // The id each request gets for its debug line; a failure logged for it carries the same one.
  const requestIds = new WeakMap<Request, string>();
  const app = createApp(ctx, services, requestIds);
  const gateway = createGateway(ctx, services);
  const debug = ctx.config.logLevel === "debug";
  // The /ws upgrade is handled here, not in Elysia: a refused handshake must answer 4xx, never 101
  // (a returned value in an Elysia beforeHandle would turn the upgrade into a 200), and the hot
  // frame path stays free of per-message wrappers.
  const server = Bun.serve<SocketData>({
    port: ctx.config.port,
    hostname: ctx.config.host,
    maxRequestBodySize: BUN_BODY_CAP_BYTES,
    fetch(req, srv) {
      const path = req.url.slice(req.url.indexOf("/", 8));
      if (path === "/ws" || path.startsWith("/ws?")) return gateway.upgrade(req, srv);
      if (!debug) return app.handle(req);
      // One debug line per request, with its id; never the query string (OIDC codes, tokens) or a body.
      const requestId = ctx.ids.id();
      requestIds.set(req, requestId);
      const started = performance.now();
      return app.handle(req).then((res) => {
        ctx.log.debug("http", { requestId, method: req.method, path: loggedPath(path), status: res.status, ms: Math.round((performance.now() - started) * 10) / 10 });
        return res;
      });
    },
    websocket: gateway.handlers,
  });
  ctx.hub.attach(server);
  // Elysia's `server` in a handler is app.server, which only app.listen() sets: through app.handle()
  // it stayed null, so every client's address was "unknown" and per-address limits were global.
  app.server = server;
  const url = `http://${ctx.config.host === "0.0.0.0" ? "127.0.0.1" : ctx.config.host}:${server.port}`;
  let stopping: Promise<void> | undefined;
  return {
    server,
    url,
    stop() {
      return (stopping ??= (async () => {
        services.readiness.drain();
        gateway.stopAccepting();
        await services.stop();
        await ctx.writer.drain(); // committed, acked (the acks go out before the fan-out) and published
        await gateway.closeAll(CLOSE.RESTARTING, "server restarting"); // close frames out before the process ends
        // Listening until the sockets are closed: a balancer's check meanwhile gets /readyz's 503
        // (Bun's stop(false) also drops idle keep-alive connections, so a closed listener answers no
        // check at all). Closed before the bus and the store, so no new request finds them gone;
        // a connect from then on fails, and HAProxy retries it on another node.
        server.stop(false);
        await ctx.writer.drain(); // what HTTP requests taken during the drain queued
        ctx.presence.close();
        await gateway.flushDelivered();
        ctx.hub.close();
        await ctx.bus.close();
        await ctx.limits.close();
        await ctx.store.close();
        await server.stop(true);
      })());
    },
  };
}
