// Raw baseline: the least a Bun server can do for the same wire contract (server.publish relay, in-memory log, no auth, no storage).
import type { Server } from "bun";

type Ev = { room: string; seq: number; kind: "message"; sender: string; ts: number; msgId: string; clientMsgId: string; body: string };
type Sock = { user: string };

/** Starts the relay. Tokens are usernames; rooms are pub/sub topics; each room keeps its last 1,000 events for `since` and history. */
export function startBaseline(opts: { port?: number; hostname?: string } = {}): Server<Sock> {
  const logs = new Map<string, Ev[]>(), seqs = new Map<string, number>(), members = new Map<string, Set<string>>();
  const room = (id: string) => ({ id, name: id, kind: "public", topic: "", lastSeq: seqs.get(id) ?? 0 });
  const auth = (u: string) => ({ user: { id: u, username: u, displayName: u }, accessToken: u, refreshToken: u });
  const who = (req: Request) => req.headers.get("authorization")?.slice(7) ?? "";
  const json = (b: unknown, status = 200) => Response.json(b, { status });
  const server: Server<Sock> = Bun.serve<Sock>({
    port: opts.port ?? 0, hostname: opts.hostname ?? "127.0.0.1",
    async fetch(req, srv) {
      const path = new URL(req.url).pathname, user = who(req);
      if (path === "/ws") return srv.upgrade(req, { data: { user: "" } }) ? undefined : new Response("upgrade failed", { status: 400 });
      if (path === "/api/auth/register" || path === "/api/auth/login") return json(auth(((await req.json()) as { username: string }).username), path.endsWith("register") ? 201 : 200);
      if (path === "/api/me") return json({ user: auth(user).user });
      if (path === "/api/rooms" && req.method === "POST") {
        const id = `r${seqs.size + 1}`; seqs.set(id, 0); logs.set(id, []); (members.get(user) ?? members.set(user, new Set()).get(user)!).add(id);
        return json({ room: room(id) }, 201);
      }
      const m = path.match(/^\/api\/rooms\/([^/]+)\/(join|messages)$/);
      if (m && m[2] === "join") { (members.get(user) ?? members.set(user, new Set()).get(user)!).add(m[1]); return json({ room: room(m[1]) }); }
      if (m) { const limit = Number(new URL(req.url).searchParams.get("limit") ?? 50), all = logs.get(m[1]) ?? []; return json({ events: all.slice(-limit), hasMore: all.length > limit }); }
      return json({ error: { code: "not_found", message: "no such route" } }, 404);
    },
    websocket: {
      message(ws, raw) {
        const f = JSON.parse(String(raw));
        if (f.type === "hello") {
          ws.data.user = f.token; const mine = [...(members.get(f.token) ?? [])];
          for (const r of mine) ws.subscribe(r);
          ws.send(JSON.stringify({ type: "welcome", user: auth(f.token).user, sessionId: crypto.randomUUID(), serverTime: Date.now(), rooms: mine.map(room) }));
          for (const [r, after] of Object.entries((f.since ?? {}) as Record<string, number>)) for (const e of logs.get(r) ?? []) if (e.seq > after) ws.send(JSON.stringify({ type: "event", event: e }));
        } else if (f.type === "send") {
          const seq = (seqs.get(f.room) ?? 0) + 1; seqs.set(f.room, seq);
          const ev: Ev = { room: f.room, seq, kind: "message", sender: ws.data.user, ts: Date.now(), msgId: `${f.room}:${seq}`, clientMsgId: f.clientMsgId, body: f.body };
          const log = logs.get(f.room) ?? []; log.push(ev); if (log.length > 1000) log.shift(); logs.set(f.room, log);
          ws.send(JSON.stringify({ type: "ok", id: f.id, event: ev }));
          server.publish(f.room, JSON.stringify({ type: "event", event: ev })); // server.publish (not ws.publish) so the sender gets its copy too
        } else if (f.type === "ping") ws.send(JSON.stringify({ type: "pong", id: f.id, serverTime: Date.now() }));
      },
    },
  });
  return server;
}

if (import.meta.main) {
  const arg = (k: string) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : undefined; };
  const s = startBaseline({ port: Number(arg("--port") ?? 0), hostname: arg("--host") ?? "127.0.0.1" });
  console.log(JSON.stringify({ level: "info", msg: "listening", url: `http://${s.hostname}:${s.port}` }));
}
