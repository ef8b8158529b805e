// The server process is killed (SIGKILL) and restarted mid-conversation: both pages recover, nothing lost or doubled.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { spawnServer, tempDir } from "../../server/test/harness";
import { buildClient, createRoom, joinRoom, launchBrowser, newPerson, requireBrowser, say, seeMessage, type Person } from "./helpers";

await requireBrowser(import.meta.path);

const MAIN = new URL("../../server/main.ts", import.meta.url).pathname;
const data = tempDir();
const args = (port: string) => [process.execPath, MAIN, "--host", "127.0.0.1", "--port", port, "--data", data, "--hash-memory", "4096", "--hash-time", "1", "--registration", "open"];

let srv: Awaited<ReturnType<typeof spawnServer>>;
let browser: Browser;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  await buildClient();
  srv = await spawnServer(args("0"));
  browser = await launchBrowser();
  alice = await newPerson(browser, srv.url, { prefix: "alice", displayName: "Alice" });
  bob = await newPerson(browser, srv.url, { prefix: "bob", displayName: "Bob" });
  await createRoom(alice.page, "restarts");
  await joinRoom(bob.page, "restarts");
}, 60_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  srv?.proc.kill("SIGKILL");
});

const bodies = (page: Page) => page.locator("article.msg[data-seq] .body").allInnerTexts();

test("kill -9 and restart mid-conversation: both pages reconnect and resume with no lost and no duplicated message", async () => {
  await say(alice.page, "before the crash 1");
  await say(bob.page, "before the crash 2");
  await seeMessage(alice.page, "before the crash 2");
  await seeMessage(bob.page, "before the crash 1");

  const port = new URL(srv.url).port;
  srv.proc.kill("SIGKILL");
  await srv.proc.exited;
  await alice.page.getByRole("status").filter({ hasText: /offline|Reconnecting/i }).first().waitFor();
  await say(alice.page, "written while the server was down"); // pending, retried after the restart

  srv = await spawnServer(args(port));
  await say(bob.page, "after the restart");
  for (const p of [alice.page, bob.page]) {
    await seeMessage(p, "written while the server was down", 30_000);
    await seeMessage(p, "after the restart", 30_000);
  }
  const expected = ["before the crash 1", "before the crash 2", "written while the server was down", "after the restart"];
  for (const p of [alice.page, bob.page]) {
    const texts = (await bodies(p)).map((t) => t.trim()).filter((t) => expected.includes(t));
    expect(texts.sort()).toEqual([...expected].sort());
  }
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
}, 90_000);
