// Voice messages (protocol 1.2): audio types sniffed from the bytes (Ogg/Opus, WebM audio, M4A, MP3), refused when
// the container holds something else, and served as downloads with a fitting extension over real HTTP.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { sniff, withFittingExtension } from "./sniff";

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
