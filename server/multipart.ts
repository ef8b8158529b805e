// An incremental multipart/form-data parser (RFC 7578 / RFC 2046): fed the body chunk by chunk as it
// arrives, it hands back each part's headers and its data without ever holding a whole part.

/** A body that is not well-formed multipart; the message says what is wrong (it is safe to show). */
export class MultipartError extends Error {}

export type MultipartEvent =
  /** A part begins. `filename` is set (maybe "") only when the part is a file. */
  | { type: "part"; name: string; filename: string | undefined }
  /** Some bytes of the current part's data: a view into the chunk given to push, valid until the next push. */
  | { type: "data"; bytes: Uint8Array };

/** A part's header block larger than this is refused (a browser's is ~200 bytes). */
export const PART_HEADERS_MAX_BYTES = 16 * 1024;
/** More parts than this are refused (an upload form has one or two). */
export const PARTS_MAX = 16;

const CRLF = Buffer.from("\r\n");
const HEADERS_END = Buffer.from("\r\n\r\n");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The boundary of a `multipart/form-data; boundary=…` Content-Type, or undefined when it has none (or a bad one). */
export function boundaryOf(contentType: string | null): string | undefined {
  const [type, ...params] = (contentType ?? "").split(";");
  if (type.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    // RFC 2046: 1 to 70 characters of a restricted set, not ending in a space.
    return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(v) ? v : undefined;
  }
  return undefined;
}

/** The value of `param` in a Content-Disposition header (quoted or not), or undefined. */
function dispositionParam(value: string, param: string): string | undefined {
  // name="…" with the quotes taken literally (browsers percent-encode `"` and line breaks in names).
  const re = new RegExp(`;\\s*${param}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, "i");
  const m = re.exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

type State = "preamble" | "delimiter" | "headers" | "data" | "done";

/**
 * Feed it with push(chunk) as the body arrives and call end() when it has all arrived. Each push
 * returns the events of that chunk; data events are views into the chunk (no copy). Between pushes it
 * holds at most one boundary's worth of bytes, or one part's header block. Throws MultipartError on a
 * malformed body: a part without a form-data Content-Disposition or a name, a header block over
 * PART_HEADERS_MAX_BYTES, more than PARTS_MAX parts, garbage after a boundary, or (end) a body cut
 * before its closing boundary. The preamble and epilogue are ignored, as RFC 2046 says.
 */
export class MultipartParser {
  /** CRLF "--" boundary: the body is parsed as if it began with a CRLF, so the first boundary needs none. */
  private readonly delimiter: Buffer;
  private state: State = "preamble";
  private carry: Buffer = Buffer.from(CRLF);
  private parts = 0;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  get done(): boolean {
    return this.state === "done";
  }

  push(chunk: Uint8Array): MultipartEvent[] {
    const events: MultipartEvent[] = [];
    if (this.state === "done") return events; // the epilogue
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry.length && (this.state === "data" || this.state === "preamble") && buf.length >= this.delimiter.length) {
      // A delimiter that starts in the carried bytes ends within the chunk's first delimiter.length - 1
      // bytes: look there only, rather than copying the whole chunk after the carry.
      const joint = Buffer.concat([this.carry, buf.subarray(0, this.delimiter.length - 1)]);
      const at = joint.indexOf(this.delimiter);
      if (this.state === "data" && (at < 0 ? this.carry.length : at) > 0) events.push({ type: "data", bytes: this.carry.subarray(0, at < 0 ? this.carry.length : at) });
      if (at >= 0) {
        buf = buf.subarray(at + this.delimiter.length - this.carry.length);
        this.state = "delimiter";
      }
    } else if (this.carry.length) {
      buf = Buffer.concat([this.carry, buf]);
    }
    this.carry = Buffer.alloc(0);
    for (;;) {
      if (this.state === "preamble" || this.state === "data") {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          // Keep what could be the start of a delimiter cut by the chunk's end; the rest is data (or preamble).
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          if (this.state === "data" && buf.length > keep) events.push({ type: "data", bytes: buf.subarray(0, buf.length - keep) });
          this.carry = Buffer.from(buf.subarray(buf.length - keep));
          return events;
        }
        if (this.state === "data" && at > 0) events.push({ type: "data", bytes: buf.subarray(0, at) });
        buf = buf.subarray(at + this.delimiter.length);
        this.state = "delimiter";
      } else if (this.state === "delimiter") {
        // "--" closes the body; else optional transport padding (spaces, tabs) and a CRLF start the next part.
        if (buf.length < 2) return this.wait(buf, events);
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.state = "done";
          return events;
        }
        let i = 0;
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (i + 2 > buf.length) {
          if (i > 256) throw new MultipartError("malformed multipart body: garbage after a boundary");
          return this.wait(buf, events);
        }
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) throw new MultipartError("malformed multipart body: garbage after a boundary");
        if (++this.parts > PARTS_MAX) throw new MultipartError(`malformed multipart body: more than ${PARTS_MAX} parts`);
        buf = buf.subarray(i + 2);
        this.state = "headers";
      } else if (this.state === "headers") {
        // The block ends with an empty line; a part without headers starts with it.
        const end = buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a ? -2 : buf.indexOf(HEADERS_END);
        if (end === -1) {
          if (buf.length > PART_HEADERS_MAX_BYTES) throw new MultipartError("malformed multipart body: part headers too large");
          return this.wait(buf, events);
        }
        const block = end === -2 ? Buffer.alloc(0) : buf.subarray(0, end);
        if (block.length > PART_HEADERS_MAX_BYTES) throw new MultipartError("malformed multipart body: part headers too large");
        events.push(this.part(block));
        buf = buf.subarray(end === -2 ? 2 : end + HEADERS_END.length);
        this.state = "data"; // empty data: the delimiter (with its CRLF) follows at once
      } else {
        return events;
      }
    }
  }

  /** The whole body has arrived: throws unless it ended with its closing boundary. */
  end(): void {
    if (this.state !== "done") throw new MultipartError("malformed multipart body: it ends before its closing boundary");
  }

  private wait(buf: Buffer, events: MultipartEvent[]): MultipartEvent[] {
    this.carry = Buffer.from(buf);
    return events;
  }

  private part(block: Buffer): MultipartEvent {
    let text: string;
    try {
      text = utf8.decode(block);
    } catch {
      throw new MultipartError("malformed multipart body: part headers are not UTF-8");
    }
    let disposition: string | undefined;
    for (const line of text.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new MultipartError("malformed multipart body: a part header line has no name");
      if (line.slice(0, colon).trim().toLowerCase() === "content-disposition") disposition = line.slice(colon + 1).trim();
    }
    if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) throw new MultipartError("malformed multipart body: a part is not form-data");
    const name = dispositionParam(disposition, "name");
    if (name === undefined) throw new MultipartError("malformed multipart body: a part has no name");
    return { type: "part", name, filename: dispositionParam(disposition, "filename") };
  }
}
