// Logs (docs/operations.md, "Logs"): JSON lines with a request or connection id, text lines for
// people on a terminal, and never a password, a token, an invite code or a message body.

import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { api, serverCommand, tempDir, uniqueName } from "../test/harness";
import { until } from "../test/cluster";
import { createLogger } from "../runtime";
import { loggedPath } from "../serve";
import { ChatClient, RUN_ARGS, serverProc } from "./kit";

test("LOG-1 a whole session at debug level leaves no password, token, invite code or message body in the server's output", async () => {
  const srv = await serverProc({ args: ["--log-level", "debug"] });
  try {
    const password = `pw-${crypto.randomUUID()}`;
    const wrong = `wrong-${crypto.randomUUID()}`;
    const marker = `MARKER-${crypto.randomUUID()}`;
    const username = uniqueName("logs");
    const reg = await api(srv.url, "POST", "/api/auth/register", { username, password });
    expect(reg.status).toBe(201);
    expect((await api(srv.url, "POST", "/api/auth/login", { username, password: wrong })).status).toBe(401);
    const login = await api(srv.url, "POST", "/api/auth/login", { username, password });
    expect(login.status).toBe(200);
    const refreshed = await api(srv.url, "POST", "/api/auth/refresh", { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    const session = refreshed.body;
    const room = (await api(srv.url, "POST", "/api/rooms", { name: "logs", kind: "public" }, session.accessToken)).body.room.id as string;
    const invite = await api(srv.url, "POST", "/api/invites", { maxUses: 1 }, session.accessToken);
    expect(invite.status).toBe(201); // the first user is the server's admin
    const inviteCode = String(invite.body.invite.code);
    expect((await api(srv.url, "GET", `/api/invites/${inviteCode}`)).status).toBe(200);
    // A file whose bytes carry the marker, attached to a message whose body carries it too.
    const fd = new FormData();
    fd.append("file", new Blob([`file ${marker}`], { type: "text/plain" }), "notes.txt");
    const up = await fetch(`${srv.url}/api/rooms/${room}/uploads`, { method: "POST", body: fd, headers: { authorization: `Bearer ${session.accessToken}` } });
    expect(up.status).toBe(201);
    const uploadId = (await up.json()).upload.id as string;
    const c = new ChatClient(srv.wsUrl, session);
    const oks: any[] = [];
    c.onFrame((f) => f.type === "ok" && oks.push(f));
    c.start();
    await until("welcome", () => c.connected);
    c.send({ type: "send", id: "a", room, clientMsgId: "a", body: `hello ${marker}`, attachments: [uploadId] });
    c.send({ type: "send", id: "b", room, clientMsgId: "b", body: marker });
    await until("two acks", () => oks.length === 2);
    c.send({ type: "edit", id: "c", room, msgSeq: oks[1].event.seq, body: `edited ${marker}` });
    c.send({ type: "send", id: "d", room, clientMsgId: "d", body: `bad ${marker}`, attachments: ["nope"] }); // refused: logged as an error frame at most
    await until("the edit's ack", () => oks.length === 3);
    c.stop();
    expect((await api(srv.url, "POST", "/api/auth/logout", { refreshToken: session.refreshToken })).status).toBe(204);
    expect((await api(srv.url, "POST", "/api/auth/refresh", { refreshToken: session.refreshToken })).status).toBe(401);
    await until("the close logged", () => srv.output().includes('"msg":"ws closed"'));
    expect(await srv.stop()).toBe(0);

    const out = srv.output();
    const secrets = {
      password, wrong, marker, inviteCode,
      registerAccess: reg.body.accessToken, registerRefresh: reg.body.refreshToken,
      loginAccess: login.body.accessToken, loginRefresh: login.body.refreshToken,
      access: session.accessToken, refresh: session.refreshToken,
      // The secret half of a refresh token, and a JWT's signature, on their own.
      refreshSecret: String(session.refreshToken).split(".").at(-1), accessSignature: String(session.accessToken).split(".").at(-1),
    };
    const found = Object.entries(secrets).filter(([, v]) => v && out.includes(v)).map(([k]) => k);
    expect(found).toEqual([]);
    // And the log is worth reading: JSON lines, requests and connections with their ids.
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    const http = lines.filter((l) => l.msg === "http");
    expect(http.length).toBeGreaterThan(5);
    for (const l of http) expect(typeof l.requestId === "string" && typeof l.status === "number" && !String(l.path).includes("?")).toBe(true);
    expect(new Set(http.map((l) => l.requestId)).size).toBe(http.length);
    const ws = lines.filter((l) => String(l.msg).startsWith("ws "));
    expect(ws.map((l) => l.msg)).toEqual(["ws open", "ws ready", "ws closed"]);
    expect(new Set(ws.map((l) => l.conn)).size).toBe(1);
    expect(http.some((l) => l.path === "/api/invites/:code")).toBe(true);
  } finally {
    await srv.dispose();
  }
}, 60_000);

test("LOG-2 --log-format text prints lines for people (what `auto` picks on a terminal)", async () => {
  const data = tempDir();
  const proc = Bun.spawn([...(await serverCommand()), ...RUN_ARGS, "--port", "0", "--data", data, "--log-format", "text"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, PARLEY_BUS_URL: "", DATABASE_URL: "" } });
  try {
    let out = "";
    const reader = proc.stdout.getReader();
    while (!/listening/.test(out)) {
      const r = await reader.read();
      if (r.done) break;
      out += new TextDecoder().decode(r.value);
    }
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d INFO  listening {2}url=http:\/\/127\.0\.0\.1:\d+ data=\S+$/m);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(data, { recursive: true, force: true });
  }
});

test("LOG-3 fields named like credentials or message text are redacted at any depth; logged paths drop the query and an invite's code", () => {
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => (lines.push(s), true)) as never;
  try {
    const log = createLogger("debug", {}, "json");
    log.info("x", { accessToken: "t1", nested: { password: "p1", list: [{ refreshToken: "t2" }] }, body: "b1", authorization: "Bearer t3", userId: "u1" });
    createLogger("debug", {}, "text").info("y", { token: "t4", room: "r1", note: "two words" });
  } finally {
    process.stdout.write = write;
  }
  const rec = JSON.parse(lines[0]);
  expect(rec).toMatchObject({ msg: "x", accessToken: "[redacted]", nested: { password: "[redacted]", list: [{ refreshToken: "[redacted]" }] }, body: "[redacted]", authorization: "[redacted]", userId: "u1" });
  expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d INFO  y {2}token=\[redacted\] room=r1 note="two words"\n$/);
  expect(loggedPath("/api/auth/oidc/callback?code=abc&state=def")).toBe("/api/auth/oidc/callback");
  expect(loggedPath("/api/invites/SECRETCODE/accept")).toBe("/api/invites/:code/accept");
  expect(loggedPath("/api/rooms/r1/messages?before=5")).toBe("/api/rooms/r1/messages");
});
