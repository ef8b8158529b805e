// The page's CSP `connect-src 'self'` in real Chromium: the page's own WebSocket connects, a socket
// or fetch to any other origin is refused by the browser (HARD-11).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { requireBrowser, setup } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
beforeAll(async () => void (env = await setup()), 60_000);
afterAll(async () => await env?.stop());

test("HARD-11 connect-src 'self' covers the same host's ws:, and refuses another origin's", async () => {
  const page = await env.browser.newPage();
  const res = await page.goto(env.url);
  expect(res!.headers()["content-security-policy"]).toContain("connect-src 'self';");
  const outcome = await page.evaluate(async () => {
    const violations: string[] = [];
    const wsRefused = new Promise<void>((resolve) =>
      document.addEventListener("securitypolicyviolation", (e) => {
        violations.push(`${e.effectiveDirective} ${e.blockedURI}`);
        if (e.blockedURI.startsWith("ws:")) resolve();
      }),
    );
    const username = `csp${Date.now().toString(36)}`;
    const r = await fetch("/api/auth/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password: "correct horse battery" }) });
    const { accessToken } = await r.json();
    const own = await new Promise<string>((resolve) => {
      const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws");
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token: accessToken }));
      ws.onmessage = (m) => resolve(JSON.parse(m.data).type);
      ws.onerror = () => resolve("error");
    });
    // Another origin: the same host on another port.
    const other = `ws://${location.hostname}:${Number(location.port) === 9 ? 10 : 9}/ws`;
    const foreign = await new Promise<string>((resolve) => {
      try {
        const ws = new WebSocket(other);
        ws.onopen = () => resolve("open");
        ws.onerror = () => resolve("error");
      } catch (e) {
        resolve(`threw ${(e as Error).name}`);
      }
    });
    const foreignFetch = await fetch(`http://${location.hostname}:9/`).then(() => "fetched", () => "refused");
    await wsRefused; // the violation event is queued as a task of its own
    return { status: r.status, own, foreign, foreignFetch, violations };
  });
  expect(outcome.status).toBe(201);
  expect(outcome.own).toBe("welcome");
  expect(outcome.foreign).not.toBe("open");
  expect(outcome.foreignFetch).toBe("refused");
  expect(outcome.violations.some((v) => v.startsWith("connect-src ws://"))).toBe(true);
  expect(outcome.violations.every((v) => !v.includes(`:${new URL(env.url).port}`))).toBe(true);
  await page.close();
}, 60_000);
