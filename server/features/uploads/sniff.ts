// File type detection from the bytes alone (magic numbers); the declared type and the extension are never trusted.

import { isUtf8 } from "node:buffer";
import type { UploadMime } from "../../ports/uploads";
import { MoovFinder } from "./mp4";

/** Raster images: the only types served inline (a browser renders them, never runs them). */
export const INLINE_TYPES: ReadonlySet<UploadMime> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

function startsWith(b: Uint8Array, sig: number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii("GIF87a");
const GIF89 = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const PDF = ascii("%PDF-");
// Local file header, or the end-of-central-directory record of an empty archive.
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY = [0x50, 0x4b, 0x05, 0x06];
const BOM = [0xef, 0xbb, 0xbf];
// Audio (voice messages, protocol 1.2): Ogg with Opus or Vorbis, WebM (Matroska) with an Opus or Vorbis track,
// MP4 audio ("M4A " / "M4B " brands, or only sound tracks, wherever the moov box is), MP3 (ID3 tag or an MPEG-1/2 layer III frame header).
const OGG = ascii("OggS");
const EBML = [0x1a, 0x45, 0xdf, 0xa3];
const ID3 = ascii("ID3");
const FTYP = ascii("ftyp");
const AUDIO_SCAN = 4096;

/** The bytes contain `needle` within the first `limit`. */
function has(b: Uint8Array, needle: string, limit = AUDIO_SCAN): boolean {
  const sig = ascii(needle);
  const end = Math.min(b.length, limit) - sig.length;
  for (let i = 0; i <= end; i++) if (startsWith(b, sig, i)) return true;
  return false;
}

/**
 * The track handlers ("hdlr" boxes) in the first 64 KiB of an MP4 of another brand (a browser's MediaRecorder
 * writes "iso5", "mp42", …, and puts the moov box first): "soun" when there are only sound tracks, "vide" when
 * there is a video track, undefined when neither shows (the moov box comes later: see sniffMoovLater).
 */
function handlersNearStart(b: Uint8Array): "soun" | "vide" | undefined {
  const HDLR = ascii("hdlr");
  const end = Math.min(b.length, 64 * 1024) - 16;
  let sound = false;
  for (let i = 8; i <= end; i++) {
    if (!startsWith(b, HDLR, i)) continue;
    if (startsWith(b, ascii("soun"), i + 12)) sound = true;
    else if (startsWith(b, ascii("vide"), i + 12)) return "vide";
  }
  return sound ? "soun" : undefined;
}

const audioBrand = (b: Uint8Array) => startsWith(b, ascii("M4A "), 8) || startsWith(b, ascii("M4B "), 8);

/** An MP4 of another brand with no track handler in its first 64 KiB: its moov box comes after the media data. */
function moovLater(b: Uint8Array): boolean {
  return startsWith(b, FTYP, 4) && !audioBrand(b) && handlersNearStart(b) === undefined;
}

/** Such an MP4, whole: audio when its top-level boxes are sound and its moov box holds only sound tracks. */
function sniffMoovLater(b: Uint8Array): UploadMime | undefined {
  if (!moovLater(b)) return undefined;
  const boxes = new MoovFinder();
  boxes.push(b);
  return boxes.soundOnly() ? "audio/mp4" : undefined;
}

function sniffAudio(b: Uint8Array): UploadMime | undefined {
  if (startsWith(b, OGG)) return has(b, "OpusHead", 128) || has(b, "\x01vorbis", 128) ? "audio/ogg" : undefined;
  if (startsWith(b, EBML)) return has(b, "webm", 64) && (has(b, "A_OPUS") || has(b, "A_VORBIS")) && !has(b, "V_") ? "audio/webm" : undefined;
  if (startsWith(b, FTYP, 4) && (audioBrand(b) || handlersNearStart(b) === "soun")) return "audio/mp4";
  if (startsWith(b, ID3) && b.length >= 10 && b[3] >= 2 && b[3] <= 4) return "audio/mpeg";
  // Frame sync (11 bits), MPEG version 1 or 2, layer III, a bitrate index that is neither free nor bad.
  if (b.length >= 4 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x18) !== 0x08 && (b[1] & 0x06) === 0x02 && (b[2] & 0xf0) !== 0xf0 && (b[2] & 0xf0) !== 0) return "audio/mpeg";
  return undefined;
}

/**
 * Markup that makes a document HTML, SVG or XML to a content-sniffing client that ignores our
 * Content-Type and nosniff. Looked for anywhere in the first SCAN_CHARS, case-insensitively; kept
 * to document-level and script-bearing tags so that a README quoting `<img>` is still text.
 */
const MARKUP = ["<!doctype", "<html", "<head", "<body", "<script", "<svg", "<?xml", "<iframe", "<frameset", "<object", "<embed", "<!entity"];
const SCAN_CHARS = 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** True for valid UTF-8 without NUL bytes that does not look like markup near the start. */
export function isPlainText(b: Uint8Array): boolean {
  if (b.includes(0)) return false;
  let text: string;
  try {
    text = utf8.decode(b);
  } catch {
    return false; // not UTF-8
  }
  return !looksLikeMarkup(text, startsWith(b, BOM));
}

/** The start of a text (decoded with its BOM, if any) reads as HTML, SVG or XML. */
function looksLikeMarkup(text: string, bom: boolean): boolean {
  const head = text.slice(bom ? 1 : 0, SCAN_CHARS).replace(/^[\s\u00a0\ufeff]+/, "").toLowerCase();
  // A tag-like first character (`<a`, `</`, `<!`, `<?`) is markup whatever follows; "<3" is still text.
  if (/^<[a-z!?/]/.test(head)) return true;
  return MARKUP.some((m) => head.includes(m));
}

/** The type of these bytes, or undefined when it is not on the allowlist (the caller refuses it). */
export function sniff(b: Uint8Array): UploadMime | undefined {
  return sniffBinary(b) ?? sniffMoovLater(b) ?? (b.length > 0 && isPlainText(b) ? "text/plain" : undefined);
}

/** Every type but text: decided by the first SNIFF_HEAD_BYTES alone. */
function sniffBinary(b: Uint8Array): UploadMime | undefined {
  if (startsWith(b, PNG)) return "image/png";
  if (startsWith(b, JPEG)) return "image/jpeg";
  if (startsWith(b, GIF87) || startsWith(b, GIF89)) return "image/gif";
  if (startsWith(b, RIFF) && startsWith(b, WEBP, 8)) return "image/webp";
  if (startsWith(b, PDF)) return "application/pdf";
  if (startsWith(b, ZIP) || startsWith(b, ZIP_EMPTY)) return "application/zip";
  return sniffAudio(b);
}

/** What sniffBinary looks at: the furthest any check reads (handlersNearStart's scan). */
export const SNIFF_HEAD_BYTES = 64 * 1024;

/**
 * sniff() for a file that arrives in pieces, holding only its first SNIFF_HEAD_BYTES: push each piece,
 * then finish() gives what sniff() would give for the whole file. The text check (UTF-8 without NUL,
 * no markup near the start) runs over every byte as it passes, and so does the walk of an MP4 whose
 * moov box comes later (which holds that box only). `refused` turns true as soon as no type can fit
 * any more (the head is not a binary type, the MP4 walk, if any, met a bad box size, and the bytes so
 * far are not text), so the caller can stop reading there; otherwise finish() decides.
 */
export class StreamSniffer {
  private readonly head = new Uint8Array(SNIFF_HEAD_BYTES);
  private headSize = 0;
  private binary: UploadMime | undefined | null = null; // null: not decided (the head is not full yet)
  /** The head is an MP4 whose moov box comes later: its boxes, walked to the end. */
  private moov: MoovFinder | undefined;
  private text = true;
  /** The start of a UTF-8 sequence cut by the end of the last piece (0–3 bytes). */
  private pending: Uint8Array = new Uint8Array(0);
  /** The first SCAN_CHARS or so characters, for the markup check. */
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  private headText = "";

  push(bytes: Uint8Array): void {
    let past = bytes; // the bytes past the head
    if (this.headSize < SNIFF_HEAD_BYTES) {
      const take = bytes.subarray(0, SNIFF_HEAD_BYTES - this.headSize);
      this.head.set(take, this.headSize);
      this.headSize += take.byteLength;
      past = bytes.subarray(take.byteLength);
      if (this.headSize === SNIFF_HEAD_BYTES) this.binary = sniffBinary(this.head);
      if (this.headSize === SNIFF_HEAD_BYTES && this.binary === undefined && moovLater(this.head)) {
        this.moov = new MoovFinder();
        this.moov.push(this.head);
      }
    }
    if (past.byteLength > 0) this.moov?.push(past);
    if (!this.text) return;
    // Validated without decoding (no string per piece): text streams through at the speed of isUtf8.
    this.text = !bytes.includes(0) && this.validUtf8(bytes);
    if (this.text && this.headText.length <= SCAN_CHARS) {
      try {
        this.headText += this.decoder.decode(bytes, { stream: true });
      } catch {
        this.text = false;
      }
    }
  }

  private validUtf8(bytes: Uint8Array): boolean {
    let rest = bytes;
    if (this.pending.length) {
      const more = utf8Length(this.pending[0]) - this.pending.length;
      if (bytes.length < more) {
        this.pending = Uint8Array.from([...this.pending, ...bytes]);
        return true;
      }
      if (!isUtf8(Uint8Array.from([...this.pending, ...bytes.subarray(0, more)]))) return false;
      rest = bytes.subarray(more);
    }
    const cut = incompleteTail(rest);
    this.pending = rest.slice(rest.length - cut);
    return isUtf8(rest.subarray(0, rest.length - cut));
  }

  get refused(): boolean {
    return this.binary === undefined && (!this.moov || this.moov.malformed) && !this.text;
  }

  finish(): UploadMime | undefined {
    const head = this.head.subarray(0, this.headSize);
    // A head that is not full is the whole file: sniff() decides it; else the head, or the moov box found past it.
    const binary = this.binary === null ? (sniffBinary(head) ?? sniffMoovLater(head)) : (this.binary ?? (this.moov?.soundOnly() ? "audio/mp4" : undefined));
    if (binary) return binary;
    if (!this.text || this.pending.length > 0 || head.length === 0) return undefined; // a sequence cut by the end is not UTF-8
    return looksLikeMarkup(this.headText, startsWith(head, BOM)) ? undefined : "text/plain";
  }
}

/** The length a UTF-8 sequence with this lead byte claims (1 for anything that is not a lead byte: isUtf8 judges it). */
function utf8Length(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** How many bytes at the end start a sequence that the bytes do not complete (0–3). */
function incompleteTail(b: Uint8Array): number {
  for (let i = 1; i <= Math.min(3, b.length); i++) {
    const c = b[b.length - i];
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    return utf8Length(c) > i ? i : 0;
  }
  return 0;
}

/**
 * Extensions a download may keep for each type. A name whose extension does not fit gets the
 * type's own appended ("page.html" → "page.html.txt"), so a saved file never opens as something
 * it is not (a local .html or .svg would run script; a .js or .bat would run on Windows).
 */
const EXTENSIONS: Record<UploadMime, string[]> = {
  "image/png": ["png"],
  "image/jpeg": ["jpg", "jpeg", "jfif"],
  "image/gif": ["gif"],
  "image/webp": ["webp"],
  "application/pdf": ["pdf"],
  "audio/ogg": ["ogg", "opus", "oga"],
  "audio/webm": ["webm", "weba"],
  "audio/mp4": ["m4a", "m4b", "mp4"],
  "audio/mpeg": ["mp3"],
  "application/zip": ["zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"],
  "text/plain": ["txt", "text", "md", "markdown", "csv", "tsv", "log", "json", "yaml", "yml", "toml", "ini", "cfg", "conf", "diff", "patch", "sql", "py", "rb", "go", "rs", "c", "h", "cc", "cpp", "hpp", "java", "kt", "ts", "tsx", "css", "srt", "vtt", "tex"],
};

export function withFittingExtension(filename: string, mime: UploadMime): string {
  const dot = filename.lastIndexOf(".");
  const ext = dot > 0 ? filename.slice(dot + 1).toLowerCase() : "";
  const allowed = EXTENSIONS[mime];
  return allowed.includes(ext) ? filename : `${filename}.${allowed[0]}`;
}
