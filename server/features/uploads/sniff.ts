// File type detection from the bytes alone (magic numbers); the declared type and the extension are never trusted.

import type { UploadMime } from "../../ports/uploads";

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
// MP4 audio ("M4A " / "M4B " brands, or only sound tracks), MP3 (ID3 tag or an MPEG-1/2 layer III frame header).
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
 * An MP4 of another brand (a browser's MediaRecorder writes "iso5", "mp42", …) is audio when its track handlers
 * ("hdlr" boxes near the start: fragmented recordings put the moov box first) are all "soun".
 */
function soundOnlyMp4(b: Uint8Array): boolean {
  const HDLR = ascii("hdlr");
  const end = Math.min(b.length, 64 * 1024) - 16;
  let sound = false;
  for (let i = 8; i <= end; i++) {
    if (!startsWith(b, HDLR, i)) continue;
    if (startsWith(b, ascii("soun"), i + 12)) sound = true;
    else if (startsWith(b, ascii("vide"), i + 12)) return false;
  }
  return sound;
}

function sniffAudio(b: Uint8Array): UploadMime | undefined {
  if (startsWith(b, OGG)) return has(b, "OpusHead", 128) || has(b, "\x01vorbis", 128) ? "audio/ogg" : undefined;
  if (startsWith(b, EBML)) return has(b, "webm", 64) && (has(b, "A_OPUS") || has(b, "A_VORBIS")) && !has(b, "V_") ? "audio/webm" : undefined;
  if (startsWith(b, FTYP, 4) && (startsWith(b, ascii("M4A "), 8) || startsWith(b, ascii("M4B "), 8) || soundOnlyMp4(b))) return "audio/mp4";
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
  const head = text.slice(startsWith(b, BOM) ? 1 : 0, SCAN_CHARS).replace(/^[\s\u00a0\ufeff]+/, "").toLowerCase();
  // A tag-like first character (`<a`, `</`, `<!`, `<?`) is markup whatever follows; "<3" is still text.
  if (/^<[a-z!?/]/.test(head)) return false;
  return !MARKUP.some((m) => head.includes(m));
}

/** The type of these bytes, or undefined when it is not on the allowlist (the caller refuses it). */
export function sniff(b: Uint8Array): UploadMime | undefined {
  if (startsWith(b, PNG)) return "image/png";
  if (startsWith(b, JPEG)) return "image/jpeg";
  if (startsWith(b, GIF87) || startsWith(b, GIF89)) return "image/gif";
  if (startsWith(b, RIFF) && startsWith(b, WEBP, 8)) return "image/webp";
  if (startsWith(b, PDF)) return "application/pdf";
  if (startsWith(b, ZIP) || startsWith(b, ZIP_EMPTY)) return "application/zip";
  const audio = sniffAudio(b);
  if (audio) return audio;
  if (b.length > 0 && isPlainText(b)) return "text/plain";
  return undefined;
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
