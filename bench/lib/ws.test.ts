// The generator's WebSocket client (ws.ts): frame parsing over any split of the bytes, masking, close codes, the handshake, and real servers.
import { describe, expect, test } from "bun:test";
import { acceptFor, CLOSE_NO_STATUS, encodeFrame, FrameReader, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT, RawWebSocket, refusal, unmask } from "./ws";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A server→client frame: unmasked, FIN as given. */
function serverFrame(op: number, payload: Uint8Array, fin = true, masked = false): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? [n] : n < 0x10000 ? [126, n >>> 8, n & 0xff] : [127, 0, 0, 0, 0, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  head[0] |= masked ? 0x80 : 0;
  const out = new Uint8Array(1 + head.length + (masked ? 4 : 0) + n);
  out[0] = (fin ? 0x80 : 0) | op;
  out.set(head, 1);
  out.set(payload, out.length - n);
  return out;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** A payload of n bytes whose content shows where it was cut: "<n>:" then a repeating alphabet. */
const payloadOf = (n: number) => enc.encode(`${n}:${"abcdefghijklmnopqrstuvwxyz".repeat(Math.ceil(n / 26) + 1)}`.slice(0, n));

/** Everything a reader reported, in order. */
function recording() {
  const got: string[] = [];
  const reader = new FrameReader({
    text: (buf, s, e) => got.push(`text ${dec.decode(buf.subarray(s, e))}`),
    ping: (buf, s, e) => got.push(`ping ${dec.decode(buf.subarray(s, e))}`),
    close: (code, reason) => got.push(`close ${code} ${reason}`),
    fail: (code, why) => got.push(`fail ${code} ${why}`),
  });
  return { got, reader };
}

/** Deterministic pseudo-random chunk sizes (xorshift), so a failure can be replayed. */
function chunks(bytes: Uint8Array, seed: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed;
  for (let at = 0; at < bytes.length; ) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = 1 + ((x >>> 0) % max);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

describe("WS raw WebSocket client: frames", () => {
  const lengths = [0, 1, 125, 126, 127, 65535, 65536, 70000];
  const stream = concat([
    ...lengths.map((n) => serverFrame(OP_TEXT, payloadOf(n))),
    serverFrame(OP_PING, enc.encode("hi")),
    serverFrame(OP_TEXT, enc.encode("frag-"), false),
    serverFrame(OP_PING, enc.encode("between")),
    serverFrame(OP_CONTINUATION, enc.encode("ment"), false),
    serverFrame(OP_CONTINUATION, enc.encode("ed ü"), true),
    serverFrame(OP_TEXT, enc.encode('{"type":"event"}')),
  ]);
  const want = [
    ...lengths.map((n) => `text ${dec.decode(payloadOf(n))}`),
    "ping hi",
    "ping between",
    "text frag-mented ü",
    'text {"type":"event"}',
  ];

  test("WS-FRAME-1 lengths 0…70000 (7-, 16- and 64-bit), pings and a fragmented message, all in one read", () => {
    const { got, reader } = recording();
    reader.push(stream);
    expect(got).toEqual(want);
  });

  test("WS-FRAME-2 the same bytes split anywhere: byte by byte over the headers, random chunk sizes, and every two-way cut of small frames", () => {
    for (const [seed, max] of [[1, 3], [7, 64], [42, 1500], [99, 70000]]) {
      const { got, reader } = recording();
      for (const c of chunks(stream, seed, max)) reader.push(c);
      expect(got).toEqual(want);
    }
    const small = concat([serverFrame(OP_TEXT, payloadOf(125)), serverFrame(OP_TEXT, payloadOf(126)), serverFrame(OP_PING, enc.encode("p")), serverFrame(OP_TEXT, payloadOf(3))]);
    for (let cut = 0; cut <= small.length; cut++) {
      const { got, reader } = recording();
      reader.push(small.slice(0, cut));
      reader.push(small.slice(cut));
      expect(got).toEqual([`text ${dec.decode(payloadOf(125))}`, `text ${dec.decode(payloadOf(126))}`, "ping p", `text ${dec.decode(payloadOf(3))}`]);
    }
  });

  test("WS-FRAME-3 close frames: the code and reason, 1005 without a code; nothing is read after a close", () => {
    const withCode = recording();
    withCode.reader.push(concat([serverFrame(OP_CLOSE, concat([new Uint8Array([0x0f, 0xa1]), enc.encode("bye ü")])), serverFrame(OP_TEXT, enc.encode("late"))]));
    expect(withCode.got).toEqual(["close 4001 bye ü"]);
    const bare = recording();
    bare.reader.push(serverFrame(OP_CLOSE, new Uint8Array(0)));
    expect(bare.got).toEqual([`close ${CLOSE_NO_STATUS} `]);
  });

  test("WS-FRAME-4 protocol violations fail the connection: masked, binary, reserved bits, long control frame, stray continuation", () => {
    const cases: [Uint8Array, number][] = [
      [serverFrame(OP_TEXT, enc.encode("x"), true, true), 1002],
      [serverFrame(OP_BINARY, enc.encode("x")), 1003],
      [(() => { const f = serverFrame(OP_TEXT, enc.encode("x")); f[0] |= 0x40; return f; })(), 1002],
      [serverFrame(OP_PING, new Uint8Array(126)), 1002],
      [serverFrame(OP_CONTINUATION, enc.encode("x")), 1002],
    ];
    for (const [bytes, code] of cases) {
      const { got, reader } = recording();
      reader.push(concat([bytes, serverFrame(OP_TEXT, enc.encode("after"))]));
      expect(got.length).toBe(1);
      expect(got[0]).toStartWith(`fail ${code} `);
    }
  });

  test("WS-FRAME-5 client frames are masked and unmask to the payload, at lengths 0, 125, 126, 65535, 65536", () => {
    for (const n of [0, 125, 126, 65535, 65536]) {
      const text = dec.decode(payloadOf(n));
      for (const key of [0x00000000, 0xdeadbeef, 0x01020304]) {
        const f = encodeFrame(OP_TEXT, text, key).slice();
        expect(f[0]).toBe(0x80 | OP_TEXT);
        expect(f[1] & 0x80).toBe(0x80);
        const len7 = f[1] & 0x7f;
        let at = 2;
        let len = len7;
        if (len7 === 126) {
          len = (f[2] << 8) | f[3];
          at = 4;
        } else if (len7 === 127) {
          len = Number(new DataView(f.buffer, f.byteOffset).getBigUint64(2));
          at = 10;
        }
        expect(len7).toBe(n < 126 ? n : n < 0x10000 ? 126 : 127);
        expect(len).toBe(n);
        const k = ((f[at] << 24) | (f[at + 1] << 16) | (f[at + 2] << 8) | f[at + 3]) >>> 0;
        expect(k).toBe(key >>> 0);
        unmask(f, at + 4, f.length, k);
        expect(dec.decode(f.subarray(at + 4))).toBe(text);
      }
    }
    // Multi-byte characters: the length is in bytes.
    const f = encodeFrame(OP_TEXT, "ü😀", 0x11223344).slice();
    unmask(f, 6, f.length, 0x11223344);
    expect(f[1] & 0x7f).toBe(6);
    expect(dec.decode(f.subarray(6))).toBe("ü😀");
  });

  test("WS-FRAME-6 handshake responses: a 101 with the right accept passes; other statuses, a wrong accept, no upgrade or an extension are refused", () => {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    expect(acceptFor(key)).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); // RFC 6455 §1.3
    const ok = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}`;
    expect(refusal(ok, key)).toBeUndefined();
    expect(refusal(ok.replace("Connection: Upgrade", "connection: keep-alive, upgrade"), key)).toBeUndefined();
    expect(refusal("HTTP/1.1 403 Forbidden\r\nContent-Length: 0", key)).toContain("403 Forbidden");
    expect(refusal(ok.replace(acceptFor(key), acceptFor("other")), key)).toContain("Sec-WebSocket-Accept");
    expect(refusal(ok.replace("Upgrade: websocket\r\n", ""), key)).toContain("Upgrade");
    expect(refusal(`${ok}\r\nSec-WebSocket-Extensions: permessage-deflate`, key)).toContain("extension");
  });
});

/** Resolves with what a RawWebSocket reported once it closed. */
function client(url: string, onOpen?: (ws: RawWebSocket) => void, onText?: (text: string, ws: RawWebSocket) => void) {
  const texts: string[] = [];
  let opened = false;
  let ws!: RawWebSocket;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws = new RawWebSocket(url, {
      open: () => {
        opened = true;
        onOpen?.(ws);
      },
      text: (buf, s, e) => {
        const t = dec.decode(buf.subarray(s, e));
        texts.push(t);
        onText?.(t, ws);
      },
      close: (code, reason) => resolve({ code, reason }),
    });
  });
  return { ws, texts, closed, opened: () => opened };
}

describe("WS raw WebSocket client against real servers", () => {
  test("WS-LIVE-1 Bun.serve: echoes of 10 B to 70 KB, a burst of 2,000 frames in order, ping answered with pong, the server's close code", async () => {
    let pongs = 0;
    const serverSaw: string[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no", { status: 400 })),
      websocket: {
        message(ws, m) {
          const t = String(m);
          serverSaw.push(t.length > 40 ? `${t.slice(0, 20)}…${t.length}` : t);
          if (t === "burst") {
            ws.ping("are you there");
            for (let i = 0; i < 2000; i++) ws.send(`b${i}`);
            ws.send("end");
          } else if (t === "bye") ws.close(4002, "done here");
          else ws.send(t);
        },
        pong() {
          pongs++;
        },
      },
    });
    try {
      const sizes = [10, 125, 126, 200, 65535, 70000];
      const c = client(`ws://127.0.0.1:${server.port}/ws`, (ws) => {
        for (const n of sizes) ws.send(dec.decode(payloadOf(n)));
        ws.send("burst");
      }, (t, ws) => {
        if (t === "end") ws.send("bye");
      });
      const end = await c.closed;
      expect(end).toEqual({ code: 4002, reason: "done here" });
      expect(c.texts.slice(0, sizes.length)).toEqual(sizes.map((n) => dec.decode(payloadOf(n))));
      expect(c.texts.slice(sizes.length)).toEqual([...Array.from({ length: 2000 }, (_, i) => `b${i}`), "end"]);
      expect(serverSaw.at(-1)).toBe("bye");
      expect(pongs).toBe(1);
    } finally {
      server.stop(true);
    }
  });

  test("WS-LIVE-2 a client-initiated close reaches the server with its code; sends after close are dropped", async () => {
    let serverClose: { code: number; reason: string } | undefined;
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no", { status: 400 })),
      websocket: {
        message(ws, m) {
          ws.send(String(m));
        },
        close(_ws, code, reason) {
          serverClose = { code, reason };
        },
      },
    });
    try {
      const c = client(`ws://127.0.0.1:${server.port}/`, (ws) => ws.send("one"), (_t, ws) => {
        ws.close(4100, "finished");
        ws.send("dropped");
      });
      expect(await c.closed).toEqual({ code: 4100, reason: "finished" });
      expect(c.texts).toEqual(["one"]);
      for (let i = 0; i < 100 && !serverClose; i++) await Bun.sleep(10);
      expect(serverClose).toEqual({ code: 4100, reason: "finished" });
    } finally {
      server.stop(true);
    }
  });

  test("WS-LIVE-3 refused handshakes close with 1006 and say why, never open: an HTTP 403, a wrong accept, nobody listening", async () => {
    const http = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("go away", { status: 403 }) });
    const liar = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s) {
          s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor("not your key")}\r\n\r\n`);
        },
      },
    });
    try {
      const refused = client(`ws://127.0.0.1:${http.port}/ws`);
      const r1 = await refused.closed;
      expect(r1.code).toBe(1006);
      expect(r1.reason).toContain("403");
      expect(refused.opened()).toBe(false);
      const lied = client(`ws://127.0.0.1:${liar.port}/ws`);
      const r2 = await lied.closed;
      expect(r2.code).toBe(1006);
      expect(r2.reason).toContain("Sec-WebSocket-Accept");
      expect(lied.opened()).toBe(false);
      const port = liar.port;
      liar.stop(true);
      const nobody = client(`ws://127.0.0.1:${port}/ws`);
      expect((await nobody.closed).code).toBe(1006);
      expect(nobody.opened()).toBe(false);
      expect(() => new RawWebSocket("wss://127.0.0.1:1/ws", { open() {}, text() {}, close() {} })).toThrow("ws: only");
    } finally {
      http.stop(true);
      liar.stop(true);
    }
  });
});
