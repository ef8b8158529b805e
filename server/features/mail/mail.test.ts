// Mail for what you missed (protocol 1.2) against an SMTP sink this test runs on loopback (a few
// lines of SMTP on Bun.listen: enough for nodemailer, no dependency): confirmed addresses, one summary
// per interval, the unsubscribe link without login.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { until } from "../../test/cluster";
import { createMail } from "./service";

interface Mail {
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP server: accepts everything, keeps each message's envelope and raw data. */
function smtpSink() {
  const mails: Mail[] = [];
  const server = Bun.listen<{ buf: string; data: boolean; mail: Mail }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "", data: false, mail: { from: "", to: [], data: "" } };
        s.write("220 sink ESMTP\r\n");
      },
      data(s, chunk) {
        s.data.buf += chunk.toString();
        for (;;) {
          if (s.data.data) {
            const end = s.data.buf.indexOf("\r\n.\r\n");
            if (end < 0) return;
            s.data.mail.data = s.data.buf.slice(0, end).replace(/^\.\./gm, ".");
            s.data.buf = s.data.buf.slice(end + 5);
            s.data.data = false;
            mails.push(s.data.mail);
            s.data.mail = { from: "", to: [], data: "" };
            s.write("250 queued\r\n");
            continue;
          }
          const nl = s.data.buf.indexOf("\r\n");
          if (nl < 0) return;
          const line = s.data.buf.slice(0, nl);
          s.data.buf = s.data.buf.slice(nl + 2);
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === "EHLO" || verb === "HELO") s.write("250-sink\r\n250 8BITMIME\r\n");
          else if (verb === "MAIL") (s.data.mail.from = line), s.write("250 ok\r\n");
          else if (verb === "RCPT") s.data.mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? ""), s.write("250 ok\r\n");
          else if (verb === "DATA") (s.data.data = true), s.write("354 go ahead\r\n");
          else if (verb === "QUIT") s.write("221 bye\r\n"), s.end();
          else s.write("250 ok\r\n");
        }
      },
    },
  });
  return { port: server.port, mails, stop: () => server.stop(true) };
}

/** The text of a mail, quoted-printable soft breaks undone. */
const bodyOf = (m: Mail) => m.data.replace(/=\r\n/g, "").replace(/=3D/g, "=");
const codeIn = (m: Mail, path: string) => new RegExp(`${path}\\?code=([A-Za-z0-9_-]+)`).exec(bodyOf(m))?.[1];

let now = Date.UTC(2026, 6, 1, 9);
let sink: ReturnType<typeof smtpSink>;
let s: TestServer;
let alice: Session;
let bob: Session;
let room: string;
let a: Client;

beforeAll(async () => {
  sink = smtpSink();
  s = await startServer({ config: { smtpUrl: `smtp://127.0.0.1:${sink.port}`, mailAfterSec: 900, accessTokenTtlSec: 86_400, writeBurst: 10_000, writeRatePerSec: 10_000 }, clock: { now: () => now } });
  [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
  room = await createRoom(s.url, alice, "public", "plans");
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  a = await Client.connect(s, alice);
});
afterAll(async () => {
  a.close();
  await s.stop();
  sink.stop();
});

const setEmail = (who: Session, email: unknown) => api(s.url, "PATCH", "/api/me", { email }, who.accessToken);
const status = async (who: Session) => (await api(s.url, "GET", "/api/me/email", undefined, who.accessToken)).body;
const say = async (r: string, body: string) => {
  const x = await a.request({ type: "send", room: r, clientMsgId: crypto.randomUUID(), body });
  if (x.type !== "ok") throw new Error(JSON.stringify(x));
};

describe("mail", () => {
  test("DEPTH-71 an address is refused when mail is off, malformed, too long, or without login", async () => {
    const off = await startServer();
    try {
      const u = await register(off.url);
      const r = await api(off.url, "PATCH", "/api/me", { email: "u@example.com" }, u.accessToken);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/smtp-url/);
    } finally {
      await off.stop();
    }
    for (const bad of ["nobody", "a@b", "a b@example.com", "<a@example.com>", "a@example.com,b@example.com", "x".repeat(250) + "@example.com", 5, null]) {
      expect((await setEmail(alice, bad)).status).toBe(400);
    }
    expect((await api(s.url, "PATCH", "/api/me", { email: "a@example.com" })).status).toBe(401);
    expect((await api(s.url, "GET", "/api/me/email")).status).toBe(401);
    expect(sink.mails).toHaveLength(0);
  });

  test("DEPTH-72 the address counts once confirmed through the mailed link; nobody else sees it", async () => {
    const r = await setEmail(bob, "bob@example.com");
    expect(r.status).toBe(200);
    expect(r.body.email).toEqual({ email: null, pendingEmail: "bob@example.com", unsubscribed: false });
    await until("the confirmation mail arrived", () => sink.mails.length === 1);
    const mail = sink.mails[0];
    expect(mail.to).toEqual(["bob@example.com"]);
    const code = codeIn(mail, "/mail/confirm")!;
    expect(code).toBeDefined();
    expect((await fetch(`${s.url}/mail/confirm?code=wrong`)).status).toBe(404);
    expect((await fetch(`${s.url}/mail/confirm`)).status).toBe(404);
    expect(await status(bob)).toEqual({ email: null, pendingEmail: "bob@example.com", unsubscribed: false });
    const ok = await fetch(`${s.url}/mail/confirm?code=${code}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/text\/html/);
    expect(await status(bob)).toEqual({ email: "bob@example.com", pendingEmail: null, unsubscribed: false });
    expect((await fetch(`${s.url}/mail/confirm?code=${code}`)).status).toBe(404); // used
    // Nobody else learns it: not in members, not in the user search, not in Alice's own status.
    for (const path of [`/api/rooms/${room}/members`, `/api/users?q=${bob.user.username}`, "/api/rooms"]) {
      expect(JSON.stringify((await api(s.url, "GET", path, undefined, alice.accessToken)).body)).not.toContain("bob@example.com");
    }
    expect((await status(alice)).email).toBeNull();
  });

  test("DEPTH-73 a user offline for --mail-after gets one summary of unread mentions and DMs, never two per interval", async () => {
    const dm = (await api(s.url, "POST", "/api/dm", { username: bob.user.username }, alice.accessToken)).body.room.id;
    await s.ctx.store.setLastSeen(new Map([[bob.user.id, now]]));
    now += 1_000; // the news comes after Bob left
    await say(room, `@${bob.user.username} can you check the plan?`);
    await say(dm, "are you around?");
    await say(dm, "ping");
    const job = createMail(s.ctx).job!;
    try {
      const before = sink.mails.length;
      now += 10 * 60_000; // 10 min: not yet
      await job.runOnce();
      expect(sink.mails.length).toBe(before);
      now += 6 * 60_000; // 16 min offline
      expect(await job.runOnce()).toBe(true);
      await until("the summary arrived", () => sink.mails.length === before + 1);
      const mail = sink.mails[before];
      expect(mail.to).toEqual(["bob@example.com"]);
      const text = bodyOf(mail);
      expect(text).toContain("1 mention in #plans");
      expect(text).toContain(`2 unread direct messages from ${alice.user.displayName}`);
      expect(text).toMatch(/^List-Unsubscribe:\s*<[^>]*\/mail\/unsubscribe\?code=/m);
      expect(text).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
      // More news within the interval: no second mail, however many passes (on however many instances).
      now += 1_000;
      await say(room, `@${bob.user.username} and another thing`);
      now += 5 * 60_000;
      const other = createMail(s.ctx).job!;
      await Promise.all([job.runOnce(), other.runOnce(), job.runOnce()]);
      await other.stop();
      expect(sink.mails.length).toBe(before + 1);
      // The next interval: the new mention is mailed.
      now += 11 * 60_000;
      await job.runOnce();
      await until("the second summary arrived", () => sink.mails.length === before + 2);
      expect(bodyOf(sink.mails[before + 1])).toContain("2 mentions in #plans");
      // Nothing new since: nothing more.
      now += 16 * 60_000;
      await job.runOnce();
      expect(sink.mails.length).toBe(before + 2);
    } finally {
      await job.stop();
    }
  });

  test("DEPTH-75 confirmation mails are limited per user: 5, then 429 with Retry-After", async () => {
    const carol = await register(s.url);
    const before = sink.mails.length;
    for (let i = 0; i < 5; i++) expect((await setEmail(carol, `carol${i}@example.com`)).status).toBe(200);
    const r = await setEmail(carol, "carol9@example.com");
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    await until("five confirmation mails", () => sink.mails.length === before + 5);
    expect((await status(carol)).pendingEmail).toBe("carol4@example.com");
  });

  test("DEPTH-74 the unsubscribe link works without login; a GET only asks; after it, no more mails", async () => {
    const code = codeIn(sink.mails.findLast((m) => m.to[0] === "bob@example.com" && bodyOf(m).includes("/mail/unsubscribe"))!, "/mail/unsubscribe")!;
    const ask = await fetch(`${s.url}/mail/unsubscribe?code=${code}`);
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('method="post"');
    expect((await status(bob)).unsubscribed).toBe(false);
    expect((await fetch(`${s.url}/mail/unsubscribe?code=nope`, { method: "POST" })).status).toBe(404);
    // One-click unsubscribe (RFC 8058): a mail client posts a form body.
    const done = await fetch(`${s.url}/mail/unsubscribe?code=${code}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(done.status).toBe(200);
    expect((await status(bob)).unsubscribed).toBe(true);
    const job = createMail(s.ctx).job!;
    try {
      const before = sink.mails.length;
      await say(room, `@${bob.user.username} still there?`);
      now += 20 * 60_000;
      await job.runOnce();
      expect(sink.mails.length).toBe(before);
    } finally {
      await job.stop();
    }
  });
});
