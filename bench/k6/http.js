// k6 version of the history and login scenarios (k6/http), open loop at a constant arrival rate.
// Run: k6 run -e URL=http://127.0.0.1:3000 -e SCENARIO=history -e RATE=500 -e DURATION=30 bench/k6/http.js   (SCENARIO=login for logins)
import http from "k6/http";
import ws from "k6/ws";
import { check } from "k6";

const URL = (__ENV.URL || "http://127.0.0.1:3000").replace(/\/$/, "");
const SCENARIO = __ENV.SCENARIO || "history";
const RATE = Number(__ENV.RATE || 200);
const DURATION = Number(__ENV.DURATION || 30);
const USERS = Number(__ENV.USERS || 50);

export const options = {
  setupTimeout: "120s",
  scenarios: {
    [SCENARIO]: {
      // Arrival-rate executor: requests start on schedule whether or not earlier ones finished (no coordinated omission).
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: `${DURATION}s`,
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: { http_req_failed: ["rate==0"], http_req_duration: ["p(99)<200"] },
};

const json = { "content-type": "application/json" };

export function setup() {
  const tag = Math.random().toString(36).slice(2, 8);
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const username = `k${tag}_${i}`;
    const r = http.post(`${URL}/api/auth/register`, JSON.stringify({ username, password: "bench-password-1" }), { headers: json });
    users.push({ username, password: "bench-password-1", token: r.json("accessToken") });
  }
  const room = http.post(`${URL}/api/rooms`, JSON.stringify({ name: `k6-${tag}`, kind: "public" }), {
    headers: { ...json, authorization: `Bearer ${users[0].token}` },
  }).json("room.id");
  // Fill one room with 60 messages so every history page is a full 50.
  ws.connect(`${URL.replace(/^http/, "ws")}/ws`, {}, (socket) => {
    let acked = 0;
    socket.on("open", () => socket.send(JSON.stringify({ type: "hello", token: users[0].token })));
    socket.on("message", (raw) => {
      const f = JSON.parse(raw);
      if (f.type === "welcome") for (let i = 0; i < 60; i++) socket.send(JSON.stringify({ type: "send", id: `s${i}`, room, clientMsgId: `seed-${i}`, body: `seed ${i}` }));
      else if (f.type === "ok" && ++acked === 60) socket.close();
    });
    socket.setTimeout(() => socket.close(), 30000);
  });
  return { users, room };
}

export default function (data) {
  const u = data.users[Math.floor(Math.random() * data.users.length)];
  if (SCENARIO === "login") {
    const r = http.post(`${URL}/api/auth/login`, JSON.stringify({ username: u.username, password: u.password }), { headers: json });
    check(r, { "login 200": (x) => x.status === 200 });
  } else {
    const r = http.get(`${URL}/api/rooms/${data.room}/messages?limit=50`, { headers: { authorization: `Bearer ${data.users[0].token}` } });
    check(r, { "history 200": (x) => x.status === 200, "50 events": (x) => x.json("events").length === 50 });
  }
}
