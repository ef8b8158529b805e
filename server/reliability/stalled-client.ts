// A WebSocket client that reads until its welcome, then stops reading its socket (paused: the
// kernel buffers fill, then the server's). `bun server/reliability/stalled-client.ts PORT TOKEN [SINCE_JSON]`
// (SINCE_JSON: the hello's `since`, e.g. {"room":0} to be caught up from the start); prints "welcomed"
// once it has stopped reading. Used by slow.ts as a separate process.

import net from "node:net";
const [port, token, since] = process.argv.slice(2);
const s = net.connect({ port: Number(port), host: "127.0.0.1" });
s.setNoDelay(true);
let got = Buffer.alloc(0);
s.on("connect", () => {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const payload = Buffer.from(JSON.stringify({ type: "hello", token, ...(since ? { since: JSON.parse(since) } : {}) }));
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  s.write(Buffer.concat([head, Buffer.from(mask), Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]));
});
s.on("data", (d: Buffer) => {
  got = Buffer.concat([got, d]);
  if (got.includes('"type":"welcome"')) {
    s.pause();
    console.log("welcomed");
  }
});
s.on("close", () => console.log("closed"));
setInterval(() => undefined, 60_000); // stays until killed
