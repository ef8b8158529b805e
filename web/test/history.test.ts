// History: infinite scroll up through 130 seeded messages; gap after a long offline stretch is paged in, in order, once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, createRoom as apiCreateRoom, register } from "../../server/test/harness";
import { newPerson, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let bob: Person;
let room: string;
let seeder: Client;

beforeAll(async () => {
  env = await setup({ config: { writeBurst: 100_000, writeRatePerSec: 100_000, replayLimit: 20 } });
}, 60_000);
afterAll(async () => {
  seeder?.close();
  await env?.stop();
});

async function seed(prefix: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const r = await seeder.request({ type: "send", room, clientMsgId: `${prefix}-${i}`, body: `${prefix} ${String(i).padStart(4, "0")}` });
    if (r.type !== "ok") throw new Error(JSON.stringify(r));
  }
}

const seqs = (p: Person) => p.page.locator(".list [data-seq]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
const count = (p: Person, text: string) => p.page.locator("article.msg .body", { hasText: text }).count();

test("scrolling up pages through the whole history", async () => {
  const alice = await register(env.url);
  room = await apiCreateRoom(env.url, alice, "public", "archive");
  seeder = await Client.connect({ wsUrl: env.url.replace("http", "ws") + "/ws" }, alice);
  await seed("seed", 130);

  bob = await newPerson(env.browser, env.url, { prefix: "bob" });
  await bob.page.getByRole("button", { name: "Browse public rooms" }).click();
  await bob.page.getByRole("dialog").getByRole("listitem").filter({ hasText: "archive" }).getByRole("button", { name: "Join" }).click();
  await bob.page.locator("article.msg .body", { hasText: "seed 0130" }).waitFor();
  expect(await count(bob, "seed 0001")).toBe(0);

  for (let i = 0; i < 20 && !(await bob.page.getByText("This is the beginning of").count()); i++) {
    await bob.page.locator(".list").evaluate((el) => (el.scrollTop = 0));
    await bob.page.waitForTimeout(250);
  }
  await bob.page.locator("article.msg .body", { hasText: "seed 0001" }).waitFor();
  expect(await bob.page.locator("article.msg .body", { hasText: /seed \d{4}/ }).count()).toBe(130);
  const s = await seqs(bob);
  expect(s).toEqual([...s].sort((a, b) => a - b));
  expect(new Set(s).size).toBe(s.length);
}, 60_000);

test("scrolled up: new messages show a pill instead of jumping", async () => {
  await bob.page.locator(".list").evaluate((el) => (el.scrollTop = 0));
  await bob.page.waitForTimeout(200);
  const before = await bob.page.locator(".list").evaluate((el) => el.scrollTop);
  await seed("pill", 2);
  const pill = bob.page.getByRole("button", { name: /2 new messages/ });
  await pill.waitFor();
  expect(await bob.page.locator(".list").evaluate((el) => el.scrollTop)).toBe(before);
  await pill.click();
  await pill.waitFor({ state: "detached" });
  await bob.page.waitForTimeout(600);
  expect(await bob.page.locator(".list").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(50);
}, 60_000);

test("a gap after a long offline stretch is filled in order without duplicates", async () => {
  await bob.page.locator(".list").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await bob.ctx.setOffline(true);
  await bob.page.getByRole("status").filter({ hasText: /offline|Reconnecting/ }).first().waitFor();
  await seed("missed", 60);
  await bob.ctx.setOffline(false);
  await bob.page.locator("article.msg .body", { hasText: "missed 0060" }).waitFor({ timeout: 20_000 });
  await bob.page.waitForTimeout(500);
  for (const i of [1, 20, 40, 41, 60]) expect(await count(bob, `missed ${String(i).padStart(4, "0")}`)).toBe(1);
  expect(await bob.page.locator("article.msg .body", { hasText: /missed \d{4}/ }).count()).toBe(60);
  const s = await seqs(bob);
  expect(s).toEqual([...s].sort((a, b) => a - b));
  expect(new Set(s).size).toBe(s.length);
  // Live again.
  await seed("live", 1);
  await bob.page.locator("article.msg .body", { hasText: "live 0001" }).waitFor();
}, 60_000);
