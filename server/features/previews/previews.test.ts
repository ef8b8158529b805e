// Link previews (protocol 1.2) against pages this test serves on loopback: the card event with its
// stored image, and the SSRF rules — loopback refused by default, redirects into private addresses
// refused, a 10 MB page cut at 1 MiB, a slow page given up, non-HTML ignored.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { until } from "../../test/cluster";
import type { Written } from "../messages/writer";
import { isPrivateAddress, Refused, safeFetch, type FetchRules } from "./fetch";
import { createPreviews, firstLink, parseMeta } from "./service";

const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
const MiB = 1024 * 1024;
const PAGE = `<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="The &amp; Title"><meta name="description" content="What it is about">
<meta property="og:site_name" content='Example Site'><meta property="og:image" content="/img.png"></head><body>hi</body></html>`;

let web: ReturnType<typeof Bun.serve>;
let base: string;
const hits = new Map<string, number>();
let bigCancelled = false;
const hanging: (() => void)[] = [];

let s: TestServer;
let alice: Session;
let room: string;
let a: Client;

beforeAll(async () => {
  web = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const html = (body: string) => new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
      switch (path) {
        case "/page":
          return html(PAGE);
        case "/go":
          return Response.redirect(`${base}/page`, 302);
        case "/go-private":
          return Response.redirect(`http://10.0.0.1/x`, 302);
        case "/go-loopback6":
          return Response.redirect(`http://[::1]:${web.port}/page`, 302);
        case "/img.png":
          return new Response(PNG, { headers: { "content-type": "image/png" } });
        case "/json":
          return new Response(JSON.stringify({ title: "no" }), { headers: { "content-type": "application/json" } });
        case "/big": {
          // 10 MB of HTML, streamed: the reader must stop at 1 MiB and cancel the rest.
          let sent = 0;
          const chunk = new TextEncoder().encode("<p>" + "x".repeat(64 * 1024 - 7) + "</p>");
          return new Response(
            new ReadableStream({
              pull(c) {
                if (sent === 0) c.enqueue(new TextEncoder().encode("<title>Big page</title>"));
                if (sent >= 10_000_000) return c.close();
                c.enqueue(chunk);
                sent += chunk.length;
              },
              cancel() {
                bigCancelled = true;
              },
            }),
            { headers: { "content-type": "text/html" } },
          );
        }
        case "/slow":
          return new Promise<Response>((resolve) => hanging.push(() => resolve(html(PAGE))));
      }
      return new Response("no", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${web.port}`;
  s = await startServer({ config: { previews: "on", previewsAllowPrivate: true, previewTimeoutMs: 300, writeBurst: 10_000, writeRatePerSec: 10_000 } });
  alice = await register(s.url);
  room = await createRoom(s.url, alice);
  a = await Client.connect(s, alice);
});
afterAll(async () => {
  a.close();
  await s.stop();
  hanging.forEach((r) => r());
  web.stop(true);
});

const say = async (body: string) => {
  const r = await a.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
/** A previews service of its own on the test server's context, with settings changed; `run` queues one message and waits. */
async function previewsWith(config: Partial<TestServer["ctx"]["config"]>, body: string) {
  const p = createPreviews({ ...s.ctx, config: { ...s.ctx.config, ...config } });
  const m = await s.ctx.store.append([{ room, kind: "message", sender: alice.user.id, ts: Date.now(), msgId: crypto.randomUUID(), clientMsgId: crypto.randomUUID(), body }]);
  p.sent({ ...m[0], eventJson: "" } as Written);
  await p.idle();
  return m[0].event.seq;
}
const cardsFor = async (seq: number) => (await s.ctx.store.events(room, { after: 0, limit: 10_000 })).events.filter((e: any) => e.kind === "preview" && e.msgSeq === seq);
const rules = (over: Partial<FetchRules> = {}): FetchRules => ({ allowPrivate: false, timeoutMs: 2_000, maxBytes: MiB, ...over });

describe("link previews", () => {
  test("DEPTH-64 a message with a link gets a `preview` event: title, description, site name, and the og:image stored like an upload", async () => {
    const m = await say(`look at this (${base}/go).`);
    const card = (await a.next((f) => f.type === "event" && f.event.room === room && f.event.kind === "preview" && f.event.msgSeq === m.seq)).event;
    expect(card).toMatchObject({ msgSeq: m.seq, url: `${base}/go`, title: "The & Title", description: "What it is about", siteName: "Example Site", sender: alice.user.id });
    expect(card.image).toMatchObject({ mime: "image/png", size: PNG.length });
    const img = await fetch(`${s.url}/api/uploads/${card.image.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    expect(img.status).toBe(200);
    expect(new Uint8Array(await img.arrayBuffer())).toEqual(PNG);
    // A room event like any other: in history, with a seq after its message.
    const hist = (await api(s.url, "GET", `/api/rooms/${room}/messages?after=${m.seq}`, undefined, alice.accessToken)).body.events;
    expect(hist.find((e: any) => e.kind === "preview" && e.msgSeq === m.seq).seq).toBeGreaterThan(m.seq);
    // Deleting the message removes the card's image too.
    await a.request({ type: "delete", room, msgSeq: m.seq });
    expect((await fetch(`${s.url}/api/uploads/${card.image.id}`, { headers: { authorization: `Bearer ${alice.accessToken}` } })).status).toBe(404);
  });

  test("DEPTH-65 a page on loopback is refused by default (never requested), allowed with --previews-allow-private", async () => {
    const before = hits.get("/page") ?? 0;
    const seq = await previewsWith({ previewsAllowPrivate: false }, `${base}/page`);
    expect(await cardsFor(seq)).toEqual([]);
    expect(hits.get("/page") ?? 0).toBe(before);
    await expect(safeFetch(`${base}/page`, rules())).rejects.toBeInstanceOf(Refused);
    await expect(safeFetch(`http://localhost:${web.port}/page`, rules())).rejects.toBeInstanceOf(Refused);
    await expect(safeFetch(`http://[::1]:${web.port}/page`, rules())).rejects.toBeInstanceOf(Refused);
    const ok = await previewsWith({ previewsAllowPrivate: true }, `${base}/page`);
    expect(await cardsFor(ok)).toHaveLength(1);
  });

  test("DEPTH-66 a redirect to a private address is refused before it is followed", async () => {
    const onlyThisLoopback = rules({ allowAddress: (addr) => addr === "127.0.0.1" });
    expect((await safeFetch(`${base}/go`, onlyThisLoopback)).url).toBe(`${base}/page`); // redirects are followed…
    await expect(safeFetch(`${base}/go-private`, onlyThisLoopback)).rejects.toThrow(/private/); // …but checked again
    const before = hits.get("/page") ?? 0;
    await expect(safeFetch(`${base}/go-loopback6`, onlyThisLoopback)).rejects.toThrow(/private/);
    expect(hits.get("/page") ?? 0).toBe(before);
    await expect(safeFetch("file:///etc/hostname", rules({ allowPrivate: true }))).rejects.toThrow(/file:/);
    await expect(safeFetch(`http://user:pw@127.0.0.1:${web.port}/page`, rules({ allowPrivate: true }))).rejects.toThrow(/credentials/);
  });

  test("DEPTH-67 a 10 MB page is read up to 1 MiB, then cut off (the rest is never downloaded)", async () => {
    const got = await safeFetch(`${base}/big`, rules({ allowPrivate: true }));
    expect(got.cut).toBe(true);
    expect(got.bytes.length).toBe(MiB);
    await until("the server's stream was cancelled", () => bigCancelled);
    const seq = await previewsWith({}, `${base}/big`);
    expect((await cardsFor(seq))[0]).toMatchObject({ title: "Big page" }); // what was read still makes a card
  });

  test("DEPTH-68 a slow page is given up after the timeout (--previews-timeout; 5 s by default): no card", async () => {
    await expect(safeFetch(`${base}/slow`, rules({ allowPrivate: true, timeoutMs: 200 }))).rejects.toThrow();
    const seq = await previewsWith({ previewTimeoutMs: 200 }, `${base}/slow`);
    expect(await cardsFor(seq)).toEqual([]);
    expect(s.ctx.config.previewTimeoutMs).toBe(300);
    const { defaultConfig } = await import("../../config");
    expect(defaultConfig().previewTimeoutMs).toBe(5_000);
  });

  test("DEPTH-69 non-HTML is ignored; a page without title or description gives no card; --previews off fetches nothing", async () => {
    expect(await cardsFor(await previewsWith({}, `${base}/json`))).toEqual([]);
    expect(await cardsFor(await previewsWith({}, `${base}/img.png`))).toEqual([]);
    expect(await cardsFor(await previewsWith({}, `${base}/missing`))).toEqual([]);
    const before = hits.get("/page") ?? 0;
    expect(await cardsFor(await previewsWith({ previews: "off" }, `${base}/page`))).toEqual([]);
    expect(hits.get("/page") ?? 0).toBe(before);
  });

  test("DEPTH-70 address rules, link finding and page parsing", () => {
    for (const a of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1"]) {
      expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    }
    for (const a of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "1.1.1.1"]) expect([a, isPrivateAddress(a)]).toEqual([a, false]);
    expect(firstLink("see https://a.example/x?y=1, and http://b.example")).toBe("https://a.example/x?y=1");
    expect(firstLink("(https://a.example/p).")).toBe("https://a.example/p");
    expect(firstLink("ftp://a.example javascript:alert(1)")).toBeUndefined();
    expect(parseMeta(`<title> Only &#x41;&#66; title </title>`)).toEqual({ title: "Only AB title", description: "", siteName: "", image: undefined });
    expect(parseMeta(`<meta content="c" name="DESCRIPTION"><meta property=og:image content=https://i.example/a.png>`)).toMatchObject({ description: "c", image: "https://i.example/a.png" });
  });

  test("DEPTH-79 https connects to the address checked, once: the link's name goes in SNI, Host and the certificate check, so DNS cannot rebind in between", async () => {
    // A name no DNS knows, resolved by the test: a first answer on loopback, then (were it asked again) a private one.
    const name = "preview.parley.test";
    const tlsPage = Bun.serve({
      hostname: "127.0.0.1", port: 0, tls: { cert: TEST_CERT, key: TEST_KEY, serverName: name },
      fetch: (req) => new Response(`<title>${req.headers.get("host")}</title>`, { headers: { "content-type": "text/html" } }),
    });
    try {
      const asked: string[] = [];
      const answers = [["127.0.0.1"], ["10.9.9.9"]];
      const resolve = async (host: string) => (asked.push(host), answers[Math.min(asked.length - 1, 1)]);
      const got = await safeFetch(`https://${name}:${tlsPage.port}/`, rules({ allowAddress: (x) => x === "127.0.0.1", resolve, ca: TEST_CERT }));
      expect(new TextDecoder().decode(got.bytes)).toBe(`<title>${name}:${tlsPage.port}</title>`);
      expect(asked).toEqual([name]); // one lookup, checked, then connected to: nothing left to rebind
      // The certificate is checked against the name, not the address: a name it is not for is refused.
      const other = async (host: string) => (host === "wrong.parley.test" ? ["127.0.0.1"] : []);
      await expect(safeFetch(`https://wrong.parley.test:${tlsPage.port}/`, rules({ allowAddress: () => true, resolve: other, ca: TEST_CERT }))).rejects.toThrow();
      // And a second answer that moved inside the network is refused like the first would have been.
      await expect(safeFetch(`https://${name}:${tlsPage.port}/`, rules({ allowAddress: (x) => x === "127.0.0.1", resolve, ca: TEST_CERT }))).rejects.toBeInstanceOf(Refused);
    } finally {
      tlsPage.stop(true);
    }
  });
});

/** A self-signed certificate for preview.parley.test (EC P-256, 100 years), made for DEPTH-79 only. */
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBsjCCAVmgAwIBAgIUFxj/nEjZ5mfdZJ4Ifz/Tunp4XwowCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTcHJldmlldy5wYXJsZXkudGVzdDAgFw0yNjEyMDIxNjQ5MjZa
GA8yMTI2MTEwODE2NDkyNlowHjEcMBoGA1UEAwwTcHJldmlldy5wYXJsZXkudGVz
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABK/8g9COhYxVGf3TYzv04BONc822
+vIIfgUJ5ryqYF6Gdku3nupetJp9Fd6WZ45cL7Udj8sEAxszBHDqsBSEFmajczBx
MB0GA1UdDgQWBBQFCBDT092vAjX8e27YQLlSubrvqTAfBgNVHSMEGDAWgBQFCBDT
092vAjX8e27YQLlSubrvqTAPBgNVHRMBAf8EBTADAQH/MB4GA1UdEQQXMBWCE3By
ZXZpZXcucGFybGV5LnRlc3QwCgYIKoZIzj0EAwIDRwAwRAIgAdRYPyghXRk+ivlj
t6L2tK33Pn79VsMbseY4Epy68WgCIGKSzc1VBlEeF9/dU4v+QYFxTcVN3CCao8pl
TRl+tqFN
-----END CERTIFICATE-----`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1805H3+FknHiii8p
0E2LQ4IFL8MPd5D9D11Uszpk0sehRANCAASv/IPQjoWMVRn902M79OATjXPNtvry
CH4FCea8qmBehnZLt57qXrSafRXelmeOXC+1HY/LBAMbMwRw6rAUhBZm
-----END PRIVATE KEY-----`;
