// Voice messages (protocol 1.2): audio types sniffed from the bytes (Ogg/Opus, WebM audio, M4A, MP3), refused when
// the container holds something else, and served as downloads with a fitting extension over real HTTP.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { MOOV_MAX_BYTES } from "./mp4";
import { sniff, StreamSniffer, withFittingExtension } from "./sniff";

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p)));
const pad = (n: number) => new Array(n).fill(0);

// Real headers, trimmed: what MediaRecorder, ffmpeg and phones write at the start of these files.
const OGG_OPUS = bytes("OggS", [0, 2], pad(22), "OpusHead", [1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]);
const OGG_VORBIS = bytes("OggS", [0, 2], pad(22), [1], "vorbis", pad(16));
const OGG_THEORA = bytes("OggS", [0, 2], pad(22), [0x80], "theora", pad(16));
const WEBM_OPUS = bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 1, 0x42, 0x82, 0x84], "webm", [0x42, 0x87, 0x81, 4], pad(40), [0x86, 0x86], "A_OPUS", pad(20));
const WEBM_VIDEO = bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], "webm", pad(40), [0x86, 0x85], "V_VP8", [0x86, 0x86], "A_OPUS", pad(20));
const MKV = bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], "matroska", pad(40), [0x86, 0x86], "A_OPUS", pad(20));
const M4A = bytes([0, 0, 0, 0x20], "ftypM4A ", [0, 0, 0, 0], "M4A mp42isom", pad(16));
const MP4_VIDEO = bytes([0, 0, 0, 0x20], "ftypisom", [0, 0, 2, 0], "isomiso2avc1mp41", pad(16));
const hdlr = (kind: string) => Array.from(bytes([0, 0, 0, 0x21], "hdlr", pad(8), kind, pad(13)));
const MP4_REC = bytes([0, 0, 0, 0x1c], "ftypiso5", [0, 0, 2, 0], "iso5iso6mp41", [0, 0, 0, 0x80], "moov", pad(20), hdlr("soun"), pad(16));
const MP4_AV = bytes([0, 0, 0, 0x1c], "ftypiso5", [0, 0, 2, 0], "iso5iso6mp41", [0, 0, 0, 0x80], "moov", hdlr("soun"), hdlr("vide"), pad(16));
const MP3_ID3 = bytes("ID3", [4, 0, 0, 0, 0, 0, 0x23], pad(40));
const MP3_FRAME = bytes([0xff, 0xfb, 0x90, 0x64], pad(60));

test("UP-A1 sniff: Ogg Opus/Vorbis, WebM audio, M4A and MP3 are audio; their look-alikes are not", () => {
  expect(sniff(OGG_OPUS)).toBe("audio/ogg");
  expect(sniff(OGG_VORBIS)).toBe("audio/ogg");
  expect(sniff(WEBM_OPUS)).toBe("audio/webm");
  expect(sniff(M4A)).toBe("audio/mp4");
  expect(sniff(MP4_REC)).toBe("audio/mp4"); // a browser's recording: another brand, only a sound track
  expect(sniff(MP3_ID3)).toBe("audio/mpeg");
  expect(sniff(MP3_FRAME)).toBe("audio/mpeg");
  for (const other of [OGG_THEORA, WEBM_VIDEO, MKV, MP4_VIDEO, MP4_AV]) expect(sniff(other)).toBeUndefined();
  // Truncated or malformed headers.
  expect(sniff(bytes("OggS", [0, 2], pad(10)))).toBeUndefined();
  expect(sniff(bytes("ID3", [9, 0]))).toBeUndefined();
  expect(sniff(bytes([0xff, 0xfb, 0xf0, 0]))).toBeUndefined(); // bad bitrate index
  expect(sniff(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg"); // never confused with a frame sync
});

// Whole files recorded elsewhere, as the browser test plays them (web/test/fixtures/, two seconds each, made with ffmpeg).
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../../web/test/fixtures/${name}`, import.meta.url)));
const REAL = [
  { name: "voice-note.ogg", mime: "audio/ogg" }, // Opus in Ogg
  { name: "voice-note.m4a", mime: "audio/mp4" }, // AAC in MP4, "M4A " brand
  { name: "voice-note.mp3", mime: "audio/mpeg" }, // MPEG-2 layer III behind an ID3v2.4 tag
] as const;

test("UP-A4 sniff: real Ogg/Opus, M4A and MP3 files are audio; the MP3 without its ID3 tag is still MP3 (frame sync)", () => {
  for (const { name, mime } of REAL) expect([name, sniff(fixture(name))]).toEqual([name, mime]);
  const mp3 = fixture("voice-note.mp3");
  const tagSize = 10 + ((mp3[6] << 21) | (mp3[7] << 14) | (mp3[8] << 7) | mp3[9]); // ID3v2 size: four 7-bit bytes
  expect(mp3[tagSize]).toBe(0xff);
  expect(sniff(mp3.slice(tagSize))).toBe("audio/mpeg");
});

test("UP-A2 a voice file keeps an audio extension; a misnamed one gets its type's", () => {
  expect(withFittingExtension("voice.webm", "audio/webm")).toBe("voice.webm");
  expect(withFittingExtension("memo.opus", "audio/ogg")).toBe("memo.opus");
  expect(withFittingExtension("song.mp3", "audio/mpeg")).toBe("song.mp3");
  expect(withFittingExtension("note.m4a", "audio/mp4")).toBe("note.m4a");
  expect(withFittingExtension("note.html", "audio/ogg")).toBe("note.html.ogg");
});

let s: TestServer;
let alice: Session;
let room: string;
beforeAll(async () => {
  s = await startServer();
  alice = await register(s.url);
  room = await createRoom(s.url, alice, "public");
});
afterAll(() => s.stop());

async function upload(data: Uint8Array<ArrayBuffer>, name: string, type: string) {
  const fd = new FormData();
  fd.append("file", new Blob([data], { type }), name);
  const res = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${alice.accessToken}` } });
  return { status: res.status, body: (await res.json()) as { upload?: { id: string; mime: string; filename: string } } };
}

test("UP-A3 over HTTP: audio is stored with its sniffed type whatever was declared, served as a download; a video is refused", async () => {
  const up = await upload(WEBM_OPUS, "voice-message.webm", "video/webm");
  expect(up.status).toBe(201);
  expect(up.body.upload!.mime).toBe("audio/webm");
  const res = await fetch(`${s.url}/api/uploads/${up.body.upload!.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("audio/webm");
  expect(res.headers.get("content-disposition")).toStartWith("attachment");
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(WEBM_OPUS);
  const mp3 = await upload(MP3_ID3, "song.mp3", "audio/mpeg");
  expect(mp3.body.upload!.mime).toBe("audio/mpeg");
  const video = await upload(WEBM_VIDEO, "clip.webm", "audio/webm");
  expect(video.status).toBe(415);
  // No token: refused before anything is read.
  const anon = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: new FormData() });
  expect(anon.status).toBe(401);

});

test("UP-A5 over HTTP: the real Ogg/Opus, M4A and MP3 files are stored as audio whatever was declared, and served back byte for byte", async () => {
  for (const { name, mime } of REAL) {
    const data = fixture(name);
    const up = await upload(data, name, "application/octet-stream");
    expect([name, up.status, up.body.upload?.mime, up.body.upload?.filename]).toEqual([name, 201, mime, name]);
    const res = await fetch(`${s.url}/api/uploads/${up.body.upload!.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(res.headers.get("content-type")).toStartWith(mime);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(data);
  }
});

// MP4 with the moov box after the media data (Android's MediaRecorder/MediaMuxer, ffmpeg without +faststart):
// the track handlers are past the first 64 KiB. Fixtures made with ffmpeg (-f mp4, "isom" brand, no +faststart):
// 30 s of 16 kHz mono AAC at 24 kb/s (93 KB), and 14 s of 128x96 MPEG-4 video (87 KB), each moov box last.
const localFixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const AUDIO_MOOV_LAST = localFixture("recording-moov-last.mp4");
const VIDEO_MOOV_LAST = localFixture("video-moov-last.mp4");

/** A box: 32-bit size, type, body (`large`: size 1 and a 64-bit size after the type). */
function box(type: string, body: Uint8Array | number[] = [], large = false): Uint8Array {
  const b = Uint8Array.from(body);
  const head = large ? 16 : 8;
  const out = new Uint8Array(head + b.length);
  const v = new DataView(out.buffer);
  out.set(bytes(type), 4);
  if (large) v.setUint32(0, 1), v.setUint32(8, 0), v.setUint32(12, out.length);
  else v.setUint32(0, out.length);
  out.set(b, head);
  return out;
}
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const FTYP_ISOM = box("ftyp", bytes("isom", [0, 0, 2, 0], "isomiso2mp41"));
const MDAT = box("mdat", new Uint8Array(70 * 1024).fill(0x21)); // past the 64 KiB head
const trak = (kind: string) => box("trak", cat(box("tkhd", pad(84)), box("mdia", cat(box("mdhd", pad(24)), box("hdlr", bytes(pad(8), kind, pad(13)))))));
const moovWith = (...traks: Uint8Array[]) => box("moov", cat(box("mvhd", pad(100)), ...traks, box("udta", box("meta", cat(box("hdlr", bytes(pad(8), "mdir", pad(13))))))));
/** A synthetic moov-last MP4 with these boxes after ftyp. */
const mp4 = (...boxes: Uint8Array[]) => cat(FTYP_ISOM, ...boxes);
const withSize = (b: Uint8Array, at: number, size: number) => {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, size);
  return c;
};

/** What the streaming sniffer says when the bytes arrive `piece` at a time, and whether it refused before the end. */
function streamed(b: Uint8Array, piece: number) {
  const s = new StreamSniffer();
  let early = false;
  for (let at = 0; at < b.length; at += piece) {
    s.push(b.subarray(at, at + piece));
    early ||= s.refused;
  }
  return { mime: s.finish(), early };
}

test("UP-A6 sniff: an MP4 of a generic brand with its moov box after 64 KiB of media is audio when its tracks are all sound", () => {
  expect(Array.from(AUDIO_MOOV_LAST.subarray(36 + 4, 36 + 8), (c) => String.fromCharCode(c)).join("")).toBe("mdat"); // the fixture: ftyp, free, mdat, moov
  expect(sniff(AUDIO_MOOV_LAST.subarray(0, 64 * 1024))).toBeUndefined(); // what the head alone says
  expect(sniff(AUDIO_MOOV_LAST)).toBe("audio/mp4");
  expect(sniff(VIDEO_MOOV_LAST)).toBeUndefined();
  expect(sniff(mp4(MDAT, moovWith(trak("soun"))))).toBe("audio/mp4");
  expect(sniff(mp4(MDAT, moovWith(trak("soun"), trak("soun"))))).toBe("audio/mp4");
  expect(sniff(mp4(box("free"), box("mdat", MDAT.subarray(8), true), moovWith(trak("soun")), box("free", pad(3))))).toBe("audio/mp4"); // 64-bit size
  expect(sniff(mp4(MDAT, moovWith(trak("soun"), trak("vide"))))).toBeUndefined();
  expect(sniff(mp4(MDAT, moovWith(trak("soun"), trak("text"))))).toBeUndefined(); // all tracks must be sound
  expect(sniff(mp4(MDAT, moovWith()))).toBeUndefined(); // no track: only the udta handler ("mdir")
  expect(sniff(mp4(MDAT, box("moov", box("trak", box("tkhd", pad(84))))))).toBeUndefined(); // a track without a handler
  expect(sniff(mp4(MDAT))).toBeUndefined(); // no moov box
  // The streaming sniffer agrees on every one of them, whatever the pieces.
  for (const b of [AUDIO_MOOV_LAST, VIDEO_MOOV_LAST, mp4(MDAT, moovWith(trak("soun"))), mp4(MDAT, moovWith(trak("vide")))])
    for (const piece of [1, 7, 4096, 64 * 1024 + 3, b.length]) expect({ piece, ...streamed(b, piece) }).toEqual({ piece, mime: sniff(b), early: false });
});

test("UP-A7 sniff: impossible box sizes in a moov-last MP4 are refused (never a crash or an endless loop), the streamed sniffer early when it can", () => {
  const good = mp4(MDAT, moovWith(trak("soun")));
  const moovAt = FTYP_ISOM.length + MDAT.length;
  const trakAt = moovAt + 8 + 108;
  const bad: [string, Uint8Array, boolean][] = [
    // what, the bytes, refused by the streaming sniffer before the end
    ["a top-level size under 8", mp4(MDAT, box("free"), withSize(box("free", pad(8)), 0, 4), moovWith(trak("soun"))), true],
    ["a top-level size of 0 (to the end) before the moov box", mp4(MDAT, withSize(box("free"), 0, 0), moovWith(trak("soun"))), false],
    ["a moov box to the end of the file", withSize(good, moovAt, 0), true],
    ["a size past the end of the file", withSize(good, FTYP_ISOM.length, MDAT.length + 1_000_000), false],
    ["a file cut inside a box header", good.subarray(0, good.length - moovWith(trak("soun")).length + 5), false],
    ["a file cut inside the moov box", good.subarray(0, good.length - 10), false],
    ["a 64-bit size under 16", mp4(withSize(box("mdat", MDAT.subarray(8), true), 12, 12), moovWith(trak("soun"))), true],
    ["a 64-bit size past 2^53", mp4(withSize(box("mdat", MDAT.subarray(8), true), 8, 0x0100_0000), moovWith(trak("soun"))), true],
    ["a moov box over the limit", mp4(MDAT, box("moov", new Uint8Array(MOOV_MAX_BYTES))), true],
    ["two moov boxes", mp4(MDAT, moovWith(trak("soun")), moovWith(trak("soun"))), true],
    ["a track past the end of the moov box", withSize(good, trakAt, 10_000), false],
    ["a track box under 8", withSize(good, trakAt, 3), false],
    ["a track size of 0", withSize(good, trakAt, 0), false],
  ];
  expect(sniff(good)).toBe("audio/mp4");
  for (const [what, b, early] of bad) {
    expect({ what, mime: sniff(b) }).toEqual({ what, mime: undefined });
    for (const piece of [1, 4096, b.length]) expect({ what, piece, ...streamed(b, piece) }).toEqual({ what, piece, mime: undefined, early });
  }
});

test("UP-A8 over HTTP: a moov-last MP4 recording streams in as audio/mp4 and comes back byte for byte; the moov-last video is 415 and leaves no file", async () => {
  const drafts = () => (existsSync(join(s.dataDir, "uploads")) ? readdirSync(join(s.dataDir, "uploads")).filter((f) => f.includes(".")) : []);
  const up = await upload(AUDIO_MOOV_LAST, "recording.mp4", "video/mp4");
  expect([up.status, up.body.upload?.mime, up.body.upload?.filename]).toEqual([201, "audio/mp4", "recording.mp4"]);
  const res = await fetch(`${s.url}/api/uploads/${up.body.upload!.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
  expect(res.headers.get("content-type")).toStartWith("audio/mp4");
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(AUDIO_MOOV_LAST);
  const before = readdirSync(join(s.dataDir, "uploads")).sort();
  const video = await upload(VIDEO_MOOV_LAST, "clip.m4a", "audio/mp4");
  expect(video.status).toBe(415);
  expect((video.body as { error?: { code: string } }).error?.code).toBe("unsupported_type");
  expect(drafts()).toEqual([]);
  expect(readdirSync(join(s.dataDir, "uploads")).sort()).toEqual(before);
});
