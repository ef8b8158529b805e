// The generator's WebSocket client on Bun.connect (RFC 6455, text only, no extensions): the handshake, masked frames out,
// server frames parsed in place from each TCP read (many frames per read, frames split across reads), ping → pong, close codes.

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close codes of RFC 6455 §7.4.1 this client reports or sends. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_PROTOCOL = 1002;
export const CLOSE_UNSUPPORTED = 1003;
export const CLOSE_NO_STATUS = 1005;
/** No close frame: refused handshake, reset, or the socket ended without one (what Bun's WebSocket reports too). */
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_TOO_BIG = 1009;

/** Largest message accepted (a history page of 200 events is well below it). */
const MAX_MESSAGE = 64 * 1024 * 1024;

/** What a FrameReader hands over. Payloads are `buf[start, end)`, valid only during the call (the buffer is reused). */
export interface FrameSink {
  text(buf: Uint8Array, start: number, end: number): void;
  ping(buf: Uint8Array, start: number, end: number): void;
  /** The server's close frame: its code (1005 when it carried none) and reason. */
  close(code: number, reason: string): void;
  /** The server broke the protocol: fail the connection with this code. */
  fail(code: number, why: string): void;
}

const utf8 = new TextDecoder();

/**
 * Incremental parser of server→client frames. Frames whole inside a read are handed over in place, without a
 * copy; only an incomplete frame's bytes are kept (and the next read appended to them), and a fragmented
 * message's pieces are joined. After a close frame or a failure it ignores everything.
 */
export class FrameReader {
  private pend = new Uint8Array(0);
  private pendLen = 0;
  private frag = new Uint8Array(0);
  private fragLen = 0;
  private fragmented = false;
  private done = false;

  constructor(private readonly sink: FrameSink, private readonly maxMessage = MAX_MESSAGE) {}

  push(chunk: Uint8Array): void {
    if (this.done) return;
    if (this.pendLen === 0) {
      const used = this.parse(chunk, chunk.length);
      if (used < chunk.length && !this.done) this.keep(chunk, used, chunk.length);
      return;
    }
    this.keep(chunk, 0, chunk.length);
    const len = this.pendLen;
    const used = this.parse(this.pend, len);
    if (this.done) return;
    if (used > 0) this.pend.copyWithin(0, used, len);
    this.pendLen = len - used;
  }

  /** Appends chunk[from, to) to the pending bytes. */
  private keep(chunk: Uint8Array, from: number, to: number): void {
    const need = this.pendLen + (to - from);
    if (need > this.pend.length) {
      const grown = new Uint8Array(Math.max(need, this.pend.length * 2, 4096));
      grown.set(this.pend.subarray(0, this.pendLen));
      this.pend = grown;
    }
    this.pend.set(chunk.subarray(from, to), this.pendLen);
    this.pendLen = need;
  }

  /** Handles every whole frame in buf[0, len); returns where the first incomplete one starts. */
  private parse(buf: Uint8Array, len: number): number {
    let at = 0;
    while (len - at >= 2) {
      const b0 = buf[at];
      const b1 = buf[at + 1];
      if (b0 & 0x70) return this.fail(CLOSE_PROTOCOL, "reserved bits set (no extension was negotiated)");
      if (b1 & 0x80) return this.fail(CLOSE_PROTOCOL, "masked frame from the server");
      let n = b1 & 0x7f;
      let head = 2;
      if (n === 126) {
        if (len - at < 4) break;
        n = (buf[at + 2] << 8) | buf[at + 3];
        head = 4;
      } else if (n === 127) {
        if (len - at < 10) break;
        const hi = ((buf[at + 2] << 24) | (buf[at + 3] << 16) | (buf[at + 4] << 8) | buf[at + 5]) >>> 0;
        const lo = ((buf[at + 6] << 24) | (buf[at + 7] << 16) | (buf[at + 8] << 8) | buf[at + 9]) >>> 0;
        if (hi >= 0x200000) return this.fail(CLOSE_TOO_BIG, "frame length beyond 2^53");
        n = hi * 0x100000000 + lo;
        head = 10;
      }
      if (n > this.maxMessage) return this.fail(CLOSE_TOO_BIG, `frame of ${n} bytes`);
      if (len - at - head < n) break;
      const start = at + head;
      at = start + n;
      this.frame((b0 & 0x80) !== 0, b0 & 0x0f, buf, start, at);
      if (this.done) return at;
    }
    return at;
  }

  private frame(fin: boolean, op: number, buf: Uint8Array, start: number, end: number): void {
    if (op >= 0x8) {
      if (!fin || end - start > 125) return void this.fail(CLOSE_PROTOCOL, "fragmented or oversized control frame");
      if (op === OP_PING) this.sink.ping(buf, start, end);
      else if (op === OP_CLOSE) {
        this.done = true;
        if (end - start === 1) return void this.sink.fail(CLOSE_PROTOCOL, "close frame with a 1-byte body");
        const code = end - start >= 2 ? (buf[start] << 8) | buf[start + 1] : CLOSE_NO_STATUS;
        this.sink.close(code, end - start > 2 ? utf8.decode(buf.subarray(start + 2, end)) : "");
      } else if (op !== OP_PONG) this.fail(CLOSE_PROTOCOL, `unknown control opcode ${op}`);
      return;
    }
    if (op === OP_TEXT) {
      if (this.fragmented) return void this.fail(CLOSE_PROTOCOL, "new message inside a fragmented one");
      if (fin) return this.sink.text(buf, start, end);
      this.fragmented = true;
      this.fragLen = 0;
      this.join(buf, start, end);
    } else if (op === OP_CONTINUATION) {
      if (!this.fragmented) return void this.fail(CLOSE_PROTOCOL, "continuation without a message");
      if (!this.join(buf, start, end) || !fin) return;
      this.fragmented = false;
      this.sink.text(this.frag, 0, this.fragLen);
    } else if (op === OP_BINARY) this.fail(CLOSE_UNSUPPORTED, "binary frame (the protocol is text only)");
    else this.fail(CLOSE_PROTOCOL, `unknown opcode ${op}`);
  }

  private join(buf: Uint8Array, start: number, end: number): boolean {
    const need = this.fragLen + (end - start);
    if (need > this.maxMessage) return this.fail(CLOSE_TOO_BIG, `message of more than ${this.maxMessage} bytes`) > 0;
    if (need > this.frag.length) {
      const grown = new Uint8Array(Math.max(need, this.frag.length * 2, 4096));
      grown.set(this.frag.subarray(0, this.fragLen));
      this.frag = grown;
    }
    this.frag.set(buf.subarray(start, end), this.fragLen);
    this.fragLen = need;
    return true;
  }

  private fail(code: number, why: string): number {
    this.done = true;
    this.sink.fail(code, why);
    return 0;
  }
}

/** Largest frame header: 2 bytes, 8 of length, 4 of mask key. */
const MAX_HEAD = 14;

/**
 * Writes a client frame (FIN set, masked with `key`) whose payload is already at out[MAX_HEAD, MAX_HEAD + n):
 * masks it in place, puts the header just before it, and returns the frame as a view of `out`.
 */
function frameInPlace(op: number, out: Uint8Array, n: number, key: number): Uint8Array {
  const head = n < 126 ? 6 : n < 0x10000 ? 8 : 14;
  let h = MAX_HEAD - head;
  const at = h;
  out[h++] = 0x80 | op;
  if (n < 126) out[h++] = 0x80 | n;
  else if (n < 0x10000) {
    out[h++] = 0x80 | 126;
    out[h++] = n >>> 8;
    out[h++] = n & 0xff;
  } else {
    out[h++] = 0x80 | 127;
    out[h++] = 0;
    out[h++] = (n / 0x1000000000000) & 0xff;
    out[h++] = (n / 0x10000000000) & 0xff;
    out[h++] = (n / 0x100000000) & 0xff;
    out[h++] = n >>> 24;
    out[h++] = (n >>> 16) & 0xff;
    out[h++] = (n >>> 8) & 0xff;
    out[h++] = n & 0xff;
  }
  const k0 = key >>> 24;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  out[h++] = k0;
  out[h++] = k1;
  out[h++] = k2;
  out[h] = k3;
  const end = MAX_HEAD + n;
  let i = MAX_HEAD;
  for (; i + 4 <= end; i += 4) {
    out[i] ^= k0;
    out[i + 1] ^= k1;
    out[i + 2] ^= k2;
    out[i + 3] ^= k3;
  }
  if (i < end) out[i++] ^= k0;
  if (i < end) out[i++] ^= k1;
  if (i < end) out[i] ^= k2;
  return out.subarray(at, end);
}

/** Scratch space frames are built in; sends are synchronous, so one per process is enough. */
let scratch = new Uint8Array(64 * 1024);
const utf8Out = new TextEncoder();

/** A masked client frame carrying `payload` (text as UTF-8, or bytes), as a view of the shared scratch buffer: write it before building the next. */
export function encodeFrame(op: number, payload: string | Uint8Array, key: number): Uint8Array {
  const max = typeof payload === "string" ? payload.length * 3 : payload.length;
  if (MAX_HEAD + max > scratch.length) scratch = new Uint8Array(MAX_HEAD + max);
  let n: number;
  if (typeof payload === "string") n = utf8Out.encodeInto(payload, scratch.subarray(MAX_HEAD)).written;
  else {
    scratch.set(payload, MAX_HEAD);
    n = payload.length;
  }
  return frameInPlace(op, scratch, n, key);
}

/** Unmasks (or masks: XOR is its own inverse) buf[start, end) with a 4-byte key, in place. */
export function unmask(buf: Uint8Array, start: number, end: number, key: number): void {
  for (let i = start; i < end; i++) buf[i] ^= (key >>> (24 - ((i - start) & 3) * 8)) & 0xff;
}

/** Sec-WebSocket-Accept the server must answer a key with (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return new Bun.CryptoHasher("sha1").update(key + GUID).digest("base64");
}

/** Why a handshake response is refused, or undefined when it is a valid 101 for `key`. */
export function refusal(head: string, key: string): string | undefined {
  const lines = head.split("\r\n");
  const status = lines[0] ?? "";
  if (!/^HTTP\/1\.1 101( |$)/.test(status)) return `handshake refused: ${status || "no status line"}`;
  const h = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    if (c > 0) h.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
  }
  if (h.get("upgrade")?.toLowerCase() !== "websocket") return "handshake refused: no Upgrade: websocket";
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(h.get("connection") ?? "")) return "handshake refused: no Connection: Upgrade";
  if (h.get("sec-websocket-accept") !== acceptFor(key)) return "handshake refused: wrong Sec-WebSocket-Accept";
  if (h.has("sec-websocket-extensions")) return "handshake refused: an extension nobody asked for";
  return undefined;
}

export interface WsHandlers {
  /** The handshake succeeded. */
  open(): void;
  /** One text message, as UTF-8 bytes buf[start, end): valid only during the call. */
  text(buf: Uint8Array, start: number, end: number): void;
  /** Once per connection, whatever ended it (1006 when no close frame was exchanged: refused, reset, unreachable). */
  close(code: number, reason: string): void;
}

/** Index of the first \r\n\r\n in buf[0, len), or -1. */
function headEnd(buf: Uint8Array, len: number): number {
  for (let i = buf.indexOf(13); i >= 0 && i + 3 < len; i = buf.indexOf(13, i + 1)) {
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * A WebSocket connection on a raw TCP socket. Frames are masked with one random key per connection (the
 * server only unmasks; a fresh key per frame protects proxies from hostile browser scripts, which a load
 * generator sending its own payloads is not). Writes the kernel does not take at once are queued in order
 * and flushed on drain.
 */
export class RawWebSocket {
  private socket?: Bun.Socket<undefined>;
  private state: "connecting" | "open" | "closing" | "closed" = "connecting";
  private readonly key: string;
  private readonly maskKey: number;
  private head = new Uint8Array(0);
  private readonly reader: FrameReader;
  private queue: Uint8Array[] = [];
  private closeTimer?: ReturnType<typeof setTimeout>;
  /** The code and reason reported when the socket closes: the first one settled wins (a close frame's over the end that follows it). */
  private outcome?: { code: number; reason: string };
  private reported = false;

  constructor(url: string, private readonly h: WsHandlers) {
    const u = new URL(url);
    if (u.protocol !== "ws:") throw new Error(`${u.protocol} URLs are not supported by the bench's WebSocket client (ws: only)`);
    this.key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    this.maskKey = crypto.getRandomValues(new Uint32Array(1))[0];
    this.reader = new FrameReader({
      text: (buf, start, end) => {
        if (this.state === "open") this.h.text(buf, start, end);
      },
      ping: (buf, start, end) => {
        if (this.state === "open") this.write(encodeFrame(OP_PONG, buf.slice(start, end), this.maskKey));
      },
      close: (code, reason) => this.onCloseFrame(code, reason),
      fail: (code, why) => this.fail(code, why),
    });
    const request =
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    Bun.connect({
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port || 80),
      socket: {
        binaryType: "uint8array",
        open: (s) => {
          this.socket = s;
          s.setNoDelay(true);
          if (this.state === "closed") s.end();
          else s.write(request);
        },
        data: (_s, d) => this.onData(d),
        drain: () => this.flush(),
        end: (s) => void s.end(),
        close: () => this.finish(),
        // A socket error, or a handler that threw: the connection ends (a drop the report counts), with the cause as its reason.
        error: (_s, e) => this.abort(CLOSE_ABNORMAL, `socket error: ${e.message}`),
        connectError: (_s, e) => {
          this.settle(CLOSE_ABNORMAL, `connect failed: ${e.message}`);
          this.finish();
        },
      },
    }).catch(() => {}); // connectError has reported it
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  private onData(d: Uint8Array): void {
    if (this.state !== "connecting") return this.reader.push(d);
    const buf = new Uint8Array(this.head.length + d.length);
    buf.set(this.head);
    buf.set(d, this.head.length);
    const end = headEnd(buf, buf.length);
    if (end < 0) {
      this.head = buf;
      return;
    }
    this.head = new Uint8Array(0);
    const why = refusal(Buffer.from(buf.subarray(0, end)).toString("latin1"), this.key);
    if (why) return this.abort(CLOSE_ABNORMAL, why);
    this.state = "open";
    this.h.open();
    if (end + 4 < buf.length) this.reader.push(buf.subarray(end + 4));
  }

  /** Sends one text message. Dropped when the connection is not open (as Bun's WebSocket drops sends after close). */
  send(text: string): void {
    if (this.state === "open") this.write(encodeFrame(OP_TEXT, text, this.maskKey));
  }

  /** Starts the closing handshake; the socket is ended when the server answers, or cut after 2 s. */
  close(code = CLOSE_NORMAL, reason = ""): void {
    if (this.state === "connecting") return this.abort(code, reason);
    if (this.state !== "open") return;
    this.state = "closing";
    this.settle(code, reason);
    this.sendClose(code, reason);
    this.closeTimer = setTimeout(() => this.socket?.terminate(), 2000);
  }

  /** The server's close frame: answered with the same code when it started the closing handshake, then the socket is ended. */
  private onCloseFrame(code: number, reason: string): void {
    this.settle(code, reason);
    if (this.state === "open") this.sendClose(code === CLOSE_NO_STATUS ? -1 : code, "");
    this.state = "closed";
    this.socket?.end();
    this.closeTimer ??= setTimeout(() => this.socket?.terminate(), 2000);
  }

  /** The server broke the protocol: say why in a close frame and end the socket. */
  private fail(code: number, why: string): void {
    if (this.state === "open") this.sendClose(code, why.slice(0, 120));
    this.abort(code, why);
  }

  private abort(code: number, reason: string): void {
    this.settle(code, reason);
    this.state = "closed";
    this.socket?.end();
  }

  /** A close frame with `code` (none when -1) and a reason of at most 123 bytes. */
  private sendClose(code: number, reason: string): void {
    const text = utf8Out.encode(reason).subarray(0, 123);
    const body = new Uint8Array(code < 0 ? 0 : 2 + text.length);
    if (code >= 0) {
      body[0] = code >>> 8;
      body[1] = code & 0xff;
      body.set(text, 2);
    }
    this.write(encodeFrame(OP_CLOSE, body, this.maskKey));
  }

  private write(frame: Uint8Array): void {
    const s = this.socket;
    if (!s) return;
    if (this.queue.length) {
      this.queue.push(frame.slice());
      return;
    }
    const n = s.write(frame);
    if (n >= 0 && n < frame.length) this.queue.push(frame.slice(n));
  }

  private flush(): void {
    const s = this.socket;
    while (s && this.queue.length) {
      const f = this.queue[0];
      const n = s.write(f);
      if (n < 0) {
        this.queue = [];
        return;
      }
      if (n < f.length) {
        this.queue[0] = f.subarray(n);
        return;
      }
      this.queue.shift();
    }
  }

  private settle(code: number, reason: string): void {
    this.outcome ??= { code, reason };
  }

  private finish(): void {
    if (this.reported) return;
    this.reported = true;
    this.state = "closed";
    clearTimeout(this.closeTimer);
    this.queue = [];
    const o = this.outcome ?? { code: CLOSE_ABNORMAL, reason: "" };
    this.h.close(o.code, o.reason);
  }
}
