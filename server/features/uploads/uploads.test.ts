// Uploads over real HTTP and against the real service: sniffing, who may read, limits, claiming, deletion.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { createUploads, DRAFT_TTL_MS, sanitizeFilename, type Uploads } from "./service";
import { sniff } from "./sniff";

// A 1×1 RGBA PNG: signature, IHDR, IDAT, IEND with valid CRCs.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
const ZIP = Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]); // an empty archive
const HTML = new TextEncoder().encode("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>");
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
const text = (s: string) => new TextEncoder().encode(s);

let s: TestServer;
let sender: Client;
let uploads: Uploads;
let alice: Session;
let bob: Session;
let carol: Session;
let room: string; // public: alice (owner) and bob
let priv: string; // private: alice only

beforeAll(async () => {
  s = await startServer();
  uploads = createUploads(s.ctx, s.ctx.store.uploads);
  [alice, bob, carol] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
  room = await createRoom(s.url, alice, "public");
  priv = await createRoom(s.url, alice, "private");
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  sender = await Client.connect(s, alice);
});
afterAll(async () => {
  sender.close();
  await s.stop();
});

async function upload(base: string, roomId: string, who: Session | undefined, bytes: Uint8Array<ArrayBuffer>, name: string, type = "application/octet-stream") {
  const fd = new FormData();
  fd.append("file", new Blob([bytes], { type }), name);
  const res = await fetch(`${base}/api/rooms/${roomId}/uploads`, { method: "POST", body: fd, headers: who ? { authorization: `Bearer ${who.accessToken}` } : {} });
  return { status: res.status, body: (await res.json()) as any };
}
const download = (id: string, who?: Session) => fetch(`${s.url}/api/uploads/${id}`, { headers: who ? { authorization: `Bearer ${who.accessToken}` } : {} });
const file = (bytes: Uint8Array<ArrayBuffer>, name: string, type = "") => new File([bytes], name, { type });
const storedFiles = () => (existsSync(join(s.dataDir, "uploads")) ? readdirSync(join(s.dataDir, "uploads")) : []);
/** Alice sends a real message carrying the upload; resolves with the message event. */
async function attach(id: string) {
  const r = await sender.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: "see attached", attachments: [id] });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
}

describe("sniff", () => {
  test("UP-1 the bytes decide: allowlisted types by magic number, everything else refused", () => {
    expect(sniff(PNG)).toBe("image/png");
    expect(sniff(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe("image/jpeg");
    expect(sniff(text("GIF89a\x01\x00\x01\x00"))).toBe("image/gif");
    expect(sniff(text("RIFF\x24\x00\x00\x00WEBPVP8 "))).toBe("image/webp");
    expect(sniff(text("RIFF\x24\x00\x00\x00WAVEfmt "))).toBeUndefined();
    expect(sniff(PDF)).toBe("application/pdf");
    expect(sniff(ZIP)).toBe("application/zip");
    expect(sniff(text("plain words, ünïcödé ✓\n<3 is not a tag"))).toBe("text/plain");
    expect(sniff(Uint8Array.from([0x4d, 0x5a, 0x90, 0]))).toBeUndefined(); // a Windows executable
    expect(sniff(Uint8Array.from([0x68, 0x69, 0xff, 0xfe]))).toBeUndefined(); // not UTF-8
    expect(sniff(text("hi\0there"))).toBeUndefined();
    expect(sniff(new Uint8Array())).toBeUndefined();
  });

  test("UP-2 text that looks like HTML, SVG or XML is refused, after a BOM and whitespace too", () => {
    for (const t of [HTML, SVG, text("\ufeff \n\t<?xml version='1.0'?><x/>"), text("  <HTML>"), text("<ScRiPt>x</script>"), text("<p>hi</p>"), text("notes\n\n<svg onload=alert(1)>")]) {
      expect(sniff(t)).toBeUndefined();
    }
    expect(sniff(text("x".repeat(2000) + "<script>"))).toBe("text/plain"); // beyond "near the start"
  });

  test("UP-3 display names: last path part, no control or bidi characters, ≤ 200 characters", () => {
    expect(sanitizeFilename("../../etc/passwd")).toBe("passwd");
    expect(sanitizeFilename("C:\\Users\\me\\cat.png")).toBe("cat.png");
    expect(sanitizeFilename("a\u0000b\nc\u202egnp.exe")).toBe("abcgnp.exe");
    expect(sanitizeFilename("..")).toBe("file");
    expect([...sanitizeFilename("é".repeat(500))].length).toBe(200);
  });
});

describe("uploads service", () => {
  test("UP-4 save: members only, random stored name, extension made to fit the sniffed type", async () => {
    const u = await uploads.save(bob.user.id, room, file(text("just notes"), "../notes.html", "text/html"));
    expect(u).toMatchObject({ filename: "notes.html.txt", mime: "text/plain", size: 10 });
    expect(storedFiles()).toContain(u.id);
    expect(storedFiles().some((f) => f.includes("notes"))).toBe(false);
    await expect(uploads.save(carol.user.id, room, file(PNG, "a.png"))).rejects.toMatchObject({ code: "forbidden" });
    await expect(uploads.save(carol.user.id, priv, file(PNG, "a.png"))).rejects.toMatchObject({ code: "not_found" });
    await expect(uploads.save(alice.user.id, room, file(new Uint8Array(), "empty.txt"))).rejects.toMatchObject({ code: "invalid_request" });
  });

  test("UP-5 claim refuses unknown, foreign, other-room, attached and deleted uploads, and more than 10", async () => {
    const mine = await uploads.save(alice.user.id, room, file(PNG, "a.png"));
    const other = await uploads.save(alice.user.id, priv, file(PNG, "b.png"));
    const bobs = await uploads.save(bob.user.id, room, file(PNG, "c.png"));
    const used = await uploads.save(alice.user.id, room, file(PNG, "d.png"));
    await attach(used.id);
    expect(await uploads.claim(room, alice.user.id, [mine.id])).toEqual([mine]);
    const refused = async (ids: string[], msg: RegExp) => {
      const e = await uploads.claim(room, alice.user.id, ids).then(() => undefined, (x) => x);
      expect(e).toMatchObject({ code: "invalid_request" });
      expect(e.message).toMatch(msg);
    };
    await refused(["doesNotExist1234"], /not one of your uploads/);
    await refused([bobs.id], /not one of your uploads/);
    await refused([mine.id, other.id], /another room/);
    await refused([used.id], /already attached/);
    await refused([mine.id, mine.id], /twice/);
    await refused(Array.from({ length: 11 }, (_, i) => `id${i}`), /at most 10/);
  });

  test("UP-6 removeForMessage marks the message's uploads deleted and unlinks their files; idempotent", async () => {
    const u = await uploads.save(alice.user.id, room, file(PNG, "gone.png"));
    const m = await attach(u.id);
    expect((await uploads.open(bob.user.id, u.id)).info).toEqual(u);
    await uploads.removeForMessage(room, m.seq);
    expect(storedFiles()).not.toContain(u.id);
    await expect(uploads.open(alice.user.id, u.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(uploads.claim(room, alice.user.id, [u.id])).rejects.toMatchObject({ code: "invalid_request" });
    await uploads.removeForMessage(room, m.seq);
  });

  test("UP-7 open: a draft (not yet sent) is its uploader's alone; non-members learn nothing", async () => {
    const u = await uploads.save(alice.user.id, room, file(PNG, "draft.png"));
    expect((await uploads.open(alice.user.id, u.id)).info.id).toBe(u.id);
    await expect(uploads.open(bob.user.id, u.id)).rejects.toMatchObject({ code: "not_found" });
    await attach(u.id);
    expect(await (await uploads.open(bob.user.id, u.id)).file.bytes()).toEqual(PNG);
    await expect(uploads.open(carol.user.id, u.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(uploads.open(alice.user.id, "../parley.db")).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("uploads over HTTP", () => {
  test("UP-8 a PNG: 201, then inline with nosniff, its sniffed type and a sandboxing CSP", async () => {
    const r = await upload(s.url, room, alice, PNG, "dot.png", "image/png");
    expect(r.status).toBe(201);
    expect(r.body.upload).toMatchObject({ filename: "dot.png", mime: "image/png", size: PNG.length });
    const d = await download(r.body.upload.id, alice);
    expect(d.status).toBe(200);
    expect(d.headers.get("content-type")).toBe("image/png");
    expect(d.headers.get("x-content-type-options")).toBe("nosniff");
    expect(d.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(d.headers.get("cache-control")).toBe("private");
    expect(d.headers.get("content-disposition")).toStartWith("inline");
    expect(new Uint8Array(await d.arrayBuffer())).toEqual(PNG);
  });

  test("UP-9 HTML declared as image/png is 415 and nothing reaches the disk; SVG is 415", async () => {
    const before = storedFiles().length;
    const h = await upload(s.url, room, alice, HTML, "cute-cat.png", "image/png");
    expect(h.status).toBe(415);
    expect(h.body.error.code).toBe("unsupported_type");
    const v = await upload(s.url, room, alice, SVG, "logo.svg", "image/svg+xml");
    expect(v.status).toBe(415);
    expect(storedFiles().length).toBe(before);
  });

  test("UP-10 PDF, zip and text download as attachments with an RFC 5987 filename", async () => {
    for (const [bytes, name, mime] of [[PDF, "Bericht (März).pdf", "application/pdf"], [ZIP, "a.zip", "application/zip"], [text("hi"), "ß.txt", "text/plain; charset=utf-8"]] as const) {
      const r = await upload(s.url, room, alice, bytes, name);
      expect(r.status).toBe(201);
      const d = await download(r.body.upload.id, alice);
      expect(d.headers.get("content-type")).toBe(mime);
      expect(d.headers.get("x-content-type-options")).toBe("nosniff");
      expect(d.headers.get("content-disposition")).toStartWith("attachment;");
      expect(d.headers.get("content-disposition")).toContain(`filename*=UTF-8''${encodeURIComponent(name).replace(/[()]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())}`);
    }
  });

  test("UP-11 who may upload and download: 401 without a token, 403/404 for non-members", async () => {
    expect((await upload(s.url, room, undefined, PNG, "a.png")).status).toBe(401);
    expect((await upload(s.url, room, carol, PNG, "a.png")).status).toBe(403);
    expect((await upload(s.url, priv, bob, PNG, "a.png")).status).toBe(404);
    expect((await upload(s.url, "noSuchRoom", bob, PNG, "a.png")).status).toBe(404);
    const r = await upload(s.url, room, alice, PNG, "a.png");
    await attach(r.body.upload.id);
    expect((await download(r.body.upload.id)).status).toBe(401);
    expect((await download(r.body.upload.id, carol)).status).toBe(404);
    expect((await download(r.body.upload.id, bob)).status).toBe(200);
    expect((await download("noSuchUpload1234", alice)).status).toBe(404);
  });

  test("UP-12 a missing or non-file `file` field is 400", async () => {
    const fd = new FormData();
    fd.append("other", new Blob([PNG]), "a.png");
    const auth = { authorization: `Bearer ${alice.accessToken}` };
    expect((await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: auth })).status).toBe(400);
    const str = new FormData();
    str.append("file", "not a file");
    expect((await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", body: str, headers: auth })).status).toBe(400);
    expect((await api(s.url, "POST", `/api/rooms/${room}/uploads`, { file: "x" }, alice.accessToken)).status).toBe(400);
  });

  test("UP-13 a message carries the attachment to members; after it is deleted the download is 404 and the file is gone", async () => {
    const r = await upload(s.url, room, alice, PNG, "bye.png");
    const listener = await Client.connect(s, bob);
    const m = await attach(r.body.upload.id);
    expect(m.attachments).toEqual([r.body.upload]);
    expect((await listener.next((f) => f.type === "event" && f.event.seq === m.seq)).event.attachments[0].id).toBe(r.body.upload.id);
    listener.close();
    expect((await download(r.body.upload.id, bob)).status).toBe(200);
    expect((await sender.request({ type: "delete", room, msgSeq: m.seq })).type).toBe("ok");
    expect((await download(r.body.upload.id, bob)).status).toBe(404);
    expect((await download(r.body.upload.id, alice)).status).toBe(404);
    expect(storedFiles()).not.toContain(r.body.upload.id);
  });

  test("UP-14 over the configured limit: 413 from the route and the service, nothing stored", async () => {
    const small = await startServer({ config: { uploadMaxBytes: 1024 } });
    try {
      const a = await register(small.url);
      const rid = await createRoom(small.url, a);
      const big = text("x".repeat(1025));
      const r = await upload(small.url, rid, a, big, "big.txt");
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe("too_large");
      expect((await upload(small.url, rid, a, text("x".repeat(200_000)), "huge.txt")).status).toBe(413); // refused by Content-Length, unread
      expect((await upload(small.url, rid, a, text("x".repeat(1024)), "ok.txt")).status).toBe(201);
      const svc = createUploads(small.ctx, small.ctx.store.uploads);
      await expect(svc.save(a.user.id, rid, file(big, "big.txt"))).rejects.toMatchObject({ code: "too_large" });
      expect(readdirSync(join(small.dataDir, "uploads")).length).toBe(1);
    } finally {
      await small.stop();
    }
  });
});

describe("abandoned drafts", () => {
  test("UP-15 an upload no message carried within a day is deleted with its file; sent ones stay", async () => {
    let now = Date.now();
    const t = await startServer({ clock: { now: () => now } });
    try {
      const a = await register(t.url);
      const rid = await createRoom(t.url, a);
      const svc = createUploads(t.ctx, t.ctx.store.uploads);
      const draft = await svc.save(a.user.id, rid, file(PNG, "draft.png"));
      const sent = await svc.save(a.user.id, rid, file(PNG, "sent.png"));
      const c = await Client.connect(t, a);
      expect((await c.request({ type: "send", room: rid, clientMsgId: "x", body: "with file", attachments: [sent.id] })).type).toBe("ok");
      c.close();
      expect(await svc.sweepDrafts()).toBe(0);
      now += DRAFT_TTL_MS + 1;
      expect(await svc.sweepDrafts()).toBe(1);
      const left = readdirSync(join(t.dataDir, "uploads"));
      expect(left).not.toContain(draft.id);
      expect(left).toContain(sent.id);
      await expect(svc.open(a.user.id, draft.id)).rejects.toMatchObject({ code: "not_found" });
    } finally {
      await t.stop();
    }
  });
});

describe("files-only messages", () => {
  test("UP-16 a message with attachments may have an empty body; without them an empty body is refused", async () => {
    const u = await upload(s.url, room, alice, PNG, "only.png");
    const ok = await sender.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: "", attachments: [u.body.upload.id] });
    expect(ok.type).toBe("ok");
    expect(ok.event.attachments[0].id).toBe(u.body.upload.id);
    expect((await sender.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: " " })).code).toBe("invalid_request");
  });
});
