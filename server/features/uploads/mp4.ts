// MP4 files whose moov box (the index, with the track handlers) comes after the media data: what phones'
// MediaRecorder/MediaMuxer and ffmpeg without "+faststart" write. Their top-level boxes are walked as the
// bytes pass, every box skipped but the moov box, whose tracks then decide whether the file is audio.

/** The largest moov box kept (its sample tables grow with the duration: 4 MiB is hours of audio). */
export const MOOV_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Walks an MP4's top-level boxes (32-bit size and type; size 1: a 64-bit size follows; size 0: to the
 * end of the file) as its bytes arrive in pieces of any size, holding only a box header and the moov
 * box. `malformed` turns true at the first size that cannot be (smaller than its header, past 2^53, a
 * second moov box, a moov box past MOOV_MAX_BYTES or to the end of the file).
 */
export class MoovFinder {
  malformed = false;
  private readonly header = new Uint8Array(16);
  private headerSize = 0;
  /** Bytes of the current box's body still to come (Infinity: the box runs to the end of the file). */
  private left = 0;
  private moov: Uint8Array | undefined;
  private moovSize = 0;
  private inMoov = false;

  push(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length && !this.malformed) {
      if (this.left > 0) {
        const n = Math.min(this.left, bytes.length - at);
        if (this.inMoov) {
          this.moov!.set(bytes.subarray(at, at + n), this.moovSize);
          this.moovSize += n;
        }
        this.left -= n;
        at += n;
        continue;
      }
      const need = this.headerSize >= 8 && this.size32() === 1 ? 16 : 8;
      const n = Math.min(need - this.headerSize, bytes.length - at);
      this.header.set(bytes.subarray(at, at + n), this.headerSize);
      this.headerSize += n;
      at += n;
      if (this.headerSize === need && (need === 16 || this.size32() !== 1)) this.open();
    }
  }

  private size32(): number {
    return new DataView(this.header.buffer).getUint32(0);
  }

  /** A whole box header has been read: check its size, and keep the body if it is the moov box. */
  private open(): void {
    const v = new DataView(this.header.buffer);
    const headerSize = this.headerSize;
    const size = headerSize === 16 ? v.getUint32(8) * 2 ** 32 + v.getUint32(12) : this.size32() || Infinity;
    const type = String.fromCharCode(...this.header.subarray(4, 8));
    this.headerSize = 0;
    this.inMoov = type === "moov";
    if (size < headerSize || (size !== Infinity && !Number.isSafeInteger(size))) this.malformed = true;
    else if (this.inMoov && (this.moov || size > MOOV_MAX_BYTES)) this.malformed = true;
    else if (this.inMoov) this.moov = new Uint8Array(size - headerSize);
    this.left = size - headerSize;
  }

  /** At the end of the file: it ended on a box boundary, and its moov box holds only sound tracks. */
  soundOnly(): boolean {
    const whole = !this.malformed && this.headerSize === 0 && (this.left === 0 || this.left === Infinity);
    return whole && this.moov !== undefined && this.moovSize === this.moov.length && soundOnlyMoov(this.moov);
  }
}

interface Box {
  type: string;
  /** Where its body starts and ends in the bytes. */
  start: number;
  end: number;
}

/** The boxes that fill b[start, end), or undefined when a size does not fit (smaller than its header, past the parent). */
function children(b: Uint8Array, start: number, end: number): Box[] | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const boxes: Box[] = [];
  for (let at = start; at < end; ) {
    if (end - at < 8) return undefined;
    let size = v.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (end - at < 16) return undefined;
      size = v.getUint32(at + 8) * 2 ** 32 + v.getUint32(at + 12);
      header = 16;
    }
    if (size < header || size > end - at) return undefined; // size 0 ("to the end of the file") has no place inside a box
    boxes.push({ type: String.fromCharCode(...b.subarray(at + 4, at + 8)), start: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

const child = (b: Uint8Array, parent: Box | undefined, type: string) => parent && children(b, parent.start, parent.end)?.find((c) => c.type === type);

/** The handler type of a trak box (trak/mdia/hdlr: version and flags, pre_defined, then handler_type). */
function handler(b: Uint8Array, trak: Box): string | undefined {
  const hdlr = child(b, child(b, trak, "mdia"), "hdlr");
  return hdlr && hdlr.end - hdlr.start >= 12 ? String.fromCharCode(...b.subarray(hdlr.start + 8, hdlr.start + 12)) : undefined;
}

/** The body of a moov box has at least one track, and every track's handler is "soun". */
export function soundOnlyMoov(moov: Uint8Array): boolean {
  const traks = children(moov, 0, moov.length)?.filter((c) => c.type === "trak") ?? [];
  return traks.length > 0 && traks.every((t) => handler(moov, t) === "soun");
}
