// k6 version of the fanout scenario (k6/ws): one VU per connection, rooms of ROOM_SIZE, SENDERS open-loop senders at RATE msgs/s in total.
// Run: k6 run -e URL=http://127.0.0.1:3000 -e CONNECTIONS=200 -e ROOM_SIZE=20 -e SENDERS=10 -e RATE=200 -e DURATION=30 bench/k6/ws-fanout.js
// Needs a server started with --bench-mode (registration and send rate limits lifted).
import http from "k6/http";
import ws from "k6/ws";
import { check } from "k6";
import { Counter, Trend } from "k6/metrics";

const URL = (__ENV.URL || "http://127.0.0.1:3000").replace(/\/$/, "");
const CONNECTIONS = Number(__ENV.CONNECTIONS || 200);
const ROOM_SIZE = Number(__ENV.ROOM_SIZE || 20);
const SENDERS = Number(__ENV.SENDERS || 10);
const RATE = Number(__ENV.RATE || 200);
const DURATION = Number(__ENV.DURATION || 30);
const SLO_P99_MS = Number(__ENV.SLO_P99_MS || 50);

// Same definition as the Bun generator: receive time − scheduled send time, one sample per receiving connection.
const latency = new Trend("delivery_latency", true);
const deliveries = new Counter("deliveries");
const acks = new Counter("acks");
const sendErrors = new Counter("send_errors");

export const options = {
  setupTimeout: "300s",
  scenarios: {
    fanout: { executor: "per-vu-iterations", vus: CONNECTIONS, iterations: 1, maxDuration: `${DURATION + 60}s` },
  },
  thresholds: {
    delivery_latency: [`p(99)<${SLO_P99_MS}`],
    send_errors: ["count==0"],
  },
};

function post(path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return http.post(URL + path, JSON.stringify(body), { headers });
}

/** Registers CONNECTIONS users and puts them in public rooms of ROOM_SIZE; runs once, before the VUs. */
export function setup() {
  const tag = Math.random().toString(36).slice(2, 8);
  const users = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const r = post("/api/auth/register", { username: `k${tag}_${i}`, password: "bench-password-1" });
    check(r, { registered: (x) => x.status === 201 });
    users.push(r.json("accessToken"));
  }
  const rooms = [];
  for (let j = 0; j * ROOM_SIZE < CONNECTIONS; j++) {
    const r = post("/api/rooms", { name: `k6-${tag}-${j}`, kind: "public" }, users[j * ROOM_SIZE]);
    rooms.push(r.json("room.id"));
  }
  for (let i = 0; i < CONNECTIONS; i++) if (i % ROOM_SIZE !== 0) post(`/api/rooms/${rooms[Math.floor(i / ROOM_SIZE)]}/join`, {}, users[i]);
  // Everyone starts together, a little after setup, so the schedule is shared.
  return { users, rooms, startMs: Date.now() + 5000 };
}

export default function (data) {
  const i = __VU - 1;
  const token = data.users[i % data.users.length];
  const room = data.rooms[Math.floor(i / ROOM_SIZE) % data.rooms.length];
  // Sender s sits in room s % rooms (as in bench/lib/recorder.ts senderSlot).
  const rooms = data.rooms.length;
  const senderIndex = (i % ROOM_SIZE) * rooms + Math.floor(i / ROOM_SIZE);
  const isSender = senderIndex < SENDERS;
  const periodMs = (1000 * SENDERS) / RATE;
  const phaseMs = (1000 * senderIndex) / RATE;

  ws.connect(URL.replace(/^http/, "ws") + "/ws", {}, (socket) => {
    let n = 0;
    socket.on("open", () => socket.send(JSON.stringify({ type: "hello", token })));
    socket.on("message", (raw) => {
      const now = Date.now();
      const f = JSON.parse(raw);
      if (f.type === "welcome" && isSender) {
        const tick = () => {
          // Stamp the *scheduled* time, not the send time, so a late timer shows up as latency (no coordinated omission).
          const scheduled = data.startMs + phaseMs + n * periodMs;
          if (scheduled > data.startMs + DURATION * 1000) return;
          const id = `k6.${senderIndex}.${n++}`;
          socket.send(JSON.stringify({ type: "send", id, room, clientMsgId: id, body: `t=${scheduled.toFixed(3)} ${id}` }));
          socket.setTimeout(tick, Math.max(0, data.startMs + phaseMs + n * periodMs - Date.now()));
        };
        socket.setTimeout(tick, Math.max(0, data.startMs + phaseMs - now));
      } else if (f.type === "event" && f.event.kind === "message" && f.event.body.startsWith("t=")) {
        latency.add(now - Number(f.event.body.slice(2, f.event.body.indexOf(" "))));
        deliveries.add(1);
      } else if (f.type === "ok" && f.event) acks.add(1);
      else if (f.type === "error") sendErrors.add(1);
    });
    socket.setTimeout(() => socket.close(), data.startMs + DURATION * 1000 + 5000 - Date.now());
  });
}
