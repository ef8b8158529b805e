// Uploads stream from the socket to a temporary file: large ones never sit in memory, refusals come
// mid-body and leave no file, malformed multipart is a 400 — over real sockets, against real servers.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { SETTINGS } from "../../config";
import { createRoom, register, serverCommand, spawnServer, startServer, tempDir, TEST_CONFIG, type Session, type TestServer } from "../../test/harness";
import { sniff, StreamSniffer } from "./sniff";

const MiB = 1024 * 1024;
const BOUNDARY = "----parleyStreamTest7d3f";
const enc = new TextEncoder();

/** `size` bytes of UTF-8 text (multi-byte characters included), made `chunk` bytes at a time. */
function textChunk(chunk: number, seed: number): Uint8Array<ArrayBuffer> {
  const line = enc.encode(`line ${seed} ✓ ünïcödé text\n`);
  const b = new Uint8Array(chunk);
  for (let i = 0; i < chunk; i += line.length) b.set(line.subarray(0, Math.min(line.length, chunk - i)), i);
  return b;
}

const head = (name: string, filename = "big.txt") =>
  enc.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n`);
const tail = enc.encode(`\r\n--${BOUNDARY}--\r\n`);

/**
 * A multipart body whose file is `size` bytes of text, generated as it is sent (the client holds one
 * chunk at a time). The chunk repeats whole lines only when CHUNK is a multiple of the line: here
 * each chunk is the same bytes, so a hash of the download can be compared cheaply.
 */
function streamedBody(size: number) {
  const CHUNK = 64 * 1024;
  const h = head("file");
  let sent = -1;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent === -1) {
        sent = 0;
        return c.enqueue(h);
      }
      if (sent >= size) {
        c.enqueue(tail);
        return c.close();
      }
      const n = Math.min(CHUNK, size - sent);
      sent += n;
      c.enqueue(textChunk(CHUNK, 1).subarray(0, n));
    },
  });
  return { stream, length: h.length + size + tail.length };
}

function expectedHash(size: number): string {
  const h = new Bun.CryptoHasher("sha256");
  const chunk = textChunk(64 * 1024, 1);
  for (let at = 0; at < size; at += chunk.length) h.update(chunk.subarray(0, Math.min(chunk.length, size - at)));
  return h.digest("hex");
}

async function postStreamed(base: string, room: string, who: Session, size: number) {
  const { stream, length } = streamedBody(size);
  const res = await fetch(`${base}/api/rooms/${room}/uploads`, {
    method: "POST",
    body: stream,
    duplex: "half",
    headers: { authorization: `Bearer ${who.accessToken}`, "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(length) },
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as any };
}

async function postRaw(base: string, room: string, who: Session, body: Uint8Array<ArrayBuffer> | string, contentType = `multipart/form-data; boundary=${BOUNDARY}`) {
  const res = await fetch(`${base}/api/rooms/${room}/uploads`, { method: "POST", body, headers: { authorization: `Bearer ${who.accessToken}`, "content-type": contentType } });
  return { status: res.status, body: (await res.json()) as any };
}

const filesIn = (dataDir: string) => (existsSync(join(dataDir, "uploads")) ? readdirSync(join(dataDir, "uploads")) : []);
const tempFiles = (dataDir: string) => filesIn(dataDir).filter((f) => f.includes("."));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw HTTP/1.1 upload over TCP that the test feeds by hand; `response` collects what the server answers. */
function rawUpload(base: string, room: string, who: Session, contentLength: number) {
  const url = new URL(base);
  const sock: Socket = connect(Number(url.port), url.hostname);
  let response = "";
  let closed = false;
  sock.on("data", (d) => (response += d.toString("latin1")));
  sock.on("error", () => {}); // the server may reset a refused body
  sock.on("close", () => (closed = true));
  sock.write(
    `POST /api/rooms/${room}/uploads HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${who.accessToken}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${contentLength}\r\n\r\n`,
  );
  return {
    write: (b: Uint8Array) => new Promise<void>((r) => (sock.write(b) ? r() : sock.once("drain", () => r()))),
    response: () => response,
    closed: () => closed,
    destroy: () => sock.destroy(),
  };
}

describe("streamed uploads", () => {
  const CAP = 1 * MiB;
  let s: TestServer; // the default limit (25 MiB)
  let small: TestServer; // a 1 MiB limit
  let alice: Session;
  let room: string;
  let smallAlice: Session;
  let smallRoom: string;

  beforeAll(async () => {
    [s, small] = await Promise.all([startServer(), startServer({ config: { uploadMaxBytes: CAP } })]);
    [alice, smallAlice] = await Promise.all([register(s.url), register(small.url)]);
    [room, smallRoom] = await Promise.all([createRoom(s.url, alice), createRoom(small.url, smallAlice)]);
  });
  afterAll(async () => {
    await Promise.all([s.stop(), small.stop()]);
  });

  test("UPS-1 a 25 MiB upload (the default limit) streams in whole: 201, the same bytes come back, no temporary file stays", async () => {
    const size = 25 * MiB;
    const r = await postStreamed(s.url, room, alice, size);
    expect(r.status).toBe(201);
    expect(r.body.upload).toMatchObject({ filename: "big.txt", mime: "text/plain", size });
    const d = await fetch(`${s.url}/api/uploads/${r.body.upload.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(d.status).toBe(200);
    const h = new Bun.CryptoHasher("sha256");
    const reader = d.body!.getReader();
    for (let c = await reader.read(); !c.done; c = await reader.read()) h.update(c.value);
    expect(h.digest("hex")).toBe(expectedHash(size));
    expect(tempFiles(s.dataDir)).toEqual([]);
    expect((await postStreamed(s.url, room, alice, size + 1)).body.error.code).toBe("too_large");
  });

  test("UPS-2 past the limit mid-body: 413 too_large while the client is still sending, and the partial file is removed", async () => {
    // Declared within the cap (+ multipart overhead), so only counting the file's bytes can catch it.
    const h = head("file");
    const up = rawUpload(small.url, smallRoom, smallAlice, h.length + CAP + 60 * 1024);
    await up.write(h);
    const chunk = textChunk(16 * 1024, 2);
    for (let sent = 0; sent < CAP / 2; sent += chunk.length) await up.write(chunk);
    await waitFor("the temporary file", () => tempFiles(small.dataDir).length === 1);
    for (let sent = CAP / 2; sent <= CAP + chunk.length; sent += chunk.length) await up.write(chunk);
    // The rest of the declared body is never sent: the answer comes anyway.
    await waitFor("the 413", () => up.response().includes("\r\n\r\n{"));
    expect(up.response()).toStartWith("HTTP/1.1 413");
    expect(JSON.parse(up.response().slice(up.response().indexOf("\r\n\r\n") + 4)).error.code).toBe("too_large");
    up.destroy();
    expect(tempFiles(small.dataDir)).toEqual([]);
    expect(filesIn(small.dataDir)).toEqual([]);
  });

  test("UPS-3 a client that disconnects mid-upload leaves no temporary file and no upload", async () => {
    const before = filesIn(s.dataDir);
    const h = head("file");
    const up = rawUpload(s.url, room, alice, h.length + 10 * MiB + tail.length);
    await up.write(h);
    const chunk = textChunk(64 * 1024, 3);
    for (let sent = 0; sent < 2 * MiB; sent += chunk.length) await up.write(chunk);
    await waitFor("the temporary file", () => tempFiles(s.dataDir).length === 1);
    up.destroy();
    await waitFor("the temporary file to go", () => tempFiles(s.dataDir).length === 0);
    expect(filesIn(s.dataDir).sort()).toEqual(before.sort());
  });

  test("UPS-4 malformed multipart is 400 invalid_request with the envelope, and leaves no file", async () => {
    const before = filesIn(s.dataDir).sort();
    const part = (name: string, body: string, filename: string | null = "a.txt") =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? "" : `; filename="${filename}"`}\r\n\r\n${body}\r\n`;
    const end = `--${BOUNDARY}--\r\n`;
    const cases: [string, string, string?][] = [
      ["no boundary", part("file", "hello") + end, "multipart/form-data"],
      ["not multipart", "hello", "text/plain"],
      ["truncated in the data", part("file", "hello").slice(0, -10)],
      ["truncated before the closing boundary", part("file", "hello")],
      ["truncated in the part headers", `--${BOUNDARY}\r\nContent-Disposition: form-da`],
      ["no boundary in the body", "just some bytes, no parts"],
      ["two file parts", part("file", "one") + part("file", "two") + end],
      ["no file part", part("note", "x", null) + end],
      ["`file` is not a file", part("file", "x", null) + end],
      ["a part that is not form-data", `--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n` + end],
      ["garbage after a boundary", `--${BOUNDARY}garbage\r\n\r\nx\r\n` + end],
      ["a header line without a name", `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\nnonsense\r\n\r\nx\r\n` + end],
      ["an empty body", ""],
    ];
    for (const [what, body, type] of cases) {
      const r = await postRaw(s.url, room, alice, body, type);
      expect({ what, status: r.status, code: r.body.error?.code, message: typeof r.body.error?.message }).toEqual({ what, status: 400, code: "invalid_request", message: "string" });
    }
    expect(filesIn(s.dataDir).sort()).toEqual(before);
    // Well-formed, with a field before the file and a preamble and epilogue around the parts: taken.
    const ok = await postRaw(s.url, room, alice, "preamble\r\n" + part("note", "x", null) + part("file", "hello there") + end + "epilogue");
    expect({ status: ok.status, size: ok.body.upload?.size }).toEqual({ status: 201, size: 11 });
  });

  test("UPS-5 a file no allowed type can fit is refused as soon as that is known, not after the whole body", async () => {
    // 80 KiB that is no allowed type (not a known signature, not UTF-8), then the client stops: 415 arrives all the same.
    const h = head("file", "x.bin");
    const up = rawUpload(small.url, smallRoom, smallAlice, h.length + CAP);
    await up.write(h);
    await up.write(new Uint8Array(80 * 1024).fill(0xfe));
    await waitFor("the 415", () => up.response().includes("\r\n\r\n{"));
    expect(up.response()).toStartWith("HTTP/1.1 415");
    up.destroy();
    expect(tempFiles(small.dataDir)).toEqual([]);
  });
});

describe("streamed sniffing", () => {
  const split = (b: Uint8Array, sizes: number[]) => {
    const out: Uint8Array[] = [];
    for (let at = 0, i = 0; at < b.length; i++) {
      const n = Math.max(1, sizes[i % sizes.length]);
      out.push(b.subarray(at, at + n));
      at += n;
    }
    return out;
  };
  const streamed = (b: Uint8Array, sizes: number[]) => {
    const s = new StreamSniffer();
    for (const c of split(b, sizes)) s.push(c);
    return s.finish();
  };

  test("UPS-6 the streamed sniffer agrees with sniff() on the whole bytes, however they are cut", () => {
    const big = (prefix: Uint8Array, size: number, fill: number) => {
      const b = new Uint8Array(size).fill(fill);
      b.set(prefix);
      return b;
    };
    const samples: Uint8Array[] = [
      enc.encode("plain words, ünïcödé ✓\n<3 is not a tag"),
      enc.encode("\ufeff \n\t<?xml version='1.0'?><x/>"),
      enc.encode("x".repeat(2000) + "<script>"),
      enc.encode("<p>hi</p>"),
      enc.encode("✓".repeat(50_000)), // multi-byte characters across every cut, past the 64 KiB head
      Uint8Array.from([...enc.encode("✓".repeat(30_000)), 0xe2, 0x9c]), // cut inside the last character
      big(enc.encode("text"), 200 * 1024, 0x61).fill(0, 150 * 1024, 150 * 1024 + 1), // a NUL far past the head
      big(enc.encode("text"), 200 * 1024, 0x61).fill(0xff, 190 * 1024, 190 * 1024 + 1), // not UTF-8 far past the head
      big(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 100 * 1024, 0),
      big(enc.encode("%PDF-1.4\n"), 70 * 1024, 0xff),
      Uint8Array.from([0x4d, 0x5a, 0x90, 0]),
      new Uint8Array(),
      // MP4 with the moov box after the media (decided at the end, from that box): audio, video, and cut inside the moov box.
      ...["recording-moov-last.mp4", "video-moov-last.mp4"].map((f) => new Uint8Array(readFileSync(new URL(`./fixtures/${f}`, import.meta.url)))),
      new Uint8Array(readFileSync(new URL("./fixtures/recording-moov-last.mp4", import.meta.url))).subarray(0, -100),
    ];
    for (const b of samples) {
      for (const sizes of [[1], [3, 7], [1000], [64 * 1024 - 1, 2], [1 << 30]]) {
        expect({ at: b.length, sizes, got: streamed(b, sizes) }).toEqual({ at: b.length, sizes, got: sniff(b) });
      }
    }
  });
});

// The server in a child process, so its RSS (from its /metrics) is its own, not the test runner's.
// Made at module scope, not in beforeAll: bun 1.4.5's test runner may kill processes a hook spawned.
const memDataDir = tempDir("parley-upmem-");
const memServer = await spawnServer(
  [
    ...(await serverCommand()),
    ...Object.entries({ ...TEST_CONFIG, logLevel: "info", dataDir: memDataDir, uploadMaxBytes: 50 * MiB }).flatMap(([key, v]) => {
      const setting = SETTINGS.find((x) => x.key === key)!;
      return setting.kind === "bool" ? [`${setting.flag}=${v}`] : [setting.flag, String(v)];
    }),
  ],
  Object.fromEntries(SETTINGS.map((x) => [x.env, ""])),
);

describe("memory", () => {
  const dataDir = memDataDir;
  const url = memServer.url;
  let alice: Session;
  let room: string;

  beforeAll(async () => {
    alice = await register(url);
    room = await createRoom(url, alice);
  });
  afterAll(async () => {
    memServer.proc.kill("SIGTERM");
    await memServer.proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const rss = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)![1]);
  };

  // 50 MiB files, not 20: Bun itself (a bare Bun.serve writing four bodies to files) grows by 31–40 MiB
  // with 20 MiB bodies and 46–50 MiB with 50 MiB ones, so only the larger files leave the bound a margin.
  test("UPS-7 four concurrent 50 MiB uploads grow the server's RSS by far less than one file each (bound: < 2 × one file)", async () => {
    const FILE = 50 * MiB;
    const N = 4;
    await postStreamed(url, room, alice, MiB); // warm: the route's code is loaded, the directory made
    const base = await rss();
    let peak = base;
    let done = false;
    const uploads = Promise.all(Array.from({ length: N }, () => postStreamed(url, room, alice, FILE))).finally(() => (done = true));
    while (!done) {
      peak = Math.max(peak, await rss());
      await new Promise((r) => setTimeout(r, 50)); // sampling (not a wait for a condition): each /metrics render allocates too
    }
    const results = await uploads;
    peak = Math.max(peak, await rss());
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(201));
    const growth = peak - base;
    console.log(`UPS-7 server RSS: base ${(base / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, growth ${(growth / MiB).toFixed(1)} MiB during ${N} × ${FILE / MiB} MiB uploads`);
    expect(growth).toBeLessThan(2 * FILE);
    expect(tempFiles(dataDir)).toEqual([]);
  });
});
