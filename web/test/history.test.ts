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
    const shown = await bob.page.locator(".list [data-seq]").count();
    await bob.page.locator(".list").evaluate((el) => (el.scrollTop = 0));
    // Reaching the top pages in older events: wait for them (or for the start of the room).
    await bob.page.waitForFunction(
      (n) => document.querySelectorAll(".list [data-seq]").length > n || document.querySelector(".list .room-start") !== null,
      shown,
      { timeout: 10_000 },
    );
  }
  await bob.page.locator("article.msg .body", { hasText: "seed 0001" }).waitFor();
  expect(await bob.page.locator("article.msg .body", { hasText: /seed \d{4}/ }).count()).toBe(130);
  const s = await seqs(bob);
  expect(s).toEqual([...s].sort((a, b) => a - b));
  expect(new Set(s).size).toBe(s.length);
}, 60_000);

test("scrolled up: new messages show a pill instead of jumping", async () => {
  await bob.page.locator(".list").evaluate((el) => (el.scrollTop = 0));
  // The list knows it is scrolled up once it offers the jump back to the latest message.
  await bob.page.getByRole("button", { name: "Jump to latest" }).waitFor();
  const before = await bob.page.locator(".list").evaluate((el) => el.scrollTop);
  await seed("pill", 2);
  const pill = bob.page.getByRole("button", { name: /2 new messages/ });
  await pill.waitFor();
  expect(await bob.page.locator(".list").evaluate((el) => el.scrollTop)).toBe(before);
  await pill.click();
  await pill.waitFor({ state: "detached" });
  // The pill scrolls (smoothly) to the bottom: wait until it is there.
  await bob.page.waitForFunction(() => {
    const el = document.querySelector(".list")!;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 50;
  }, undefined, { timeout: 10_000 });
  expect(await bob.page.locator(".list").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(50);
}, 60_000);

test("a gap after a long offline stretch is filled in order without duplicates", async () => {
  await bob.page.locator(".list").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await bob.ctx.setOffline(true);
  await bob.page.getByRole("status").filter({ hasText: /offline|Reconnecting/ }).first().waitFor();
  await seed("missed", 60);
  await bob.ctx.setOffline(false);
  await bob.page.locator("article.msg .body", { hasText: "missed 0060" }).waitFor({ timeout: 20_000 });
  // The 40 oldest missed messages come as a gap frame that the page fills over HTTP: wait until it has. The
  // timeline dedupes by seq, so no later page can add a copy: the exact counts below cannot change after this.
  await bob.page.waitForFunction(() => [...document.querySelectorAll("article.msg .body")].filter((e) => /missed \d{4}/.test(e.textContent ?? "")).length >= 60, undefined, { timeout: 10_000 });
  for (const i of [1, 20, 40, 41, 60]) expect(await count(bob, `missed ${String(i).padStart(4, "0")}`)).toBe(1);
  expect(await bob.page.locator("article.msg .body", { hasText: /missed \d{4}/ }).count()).toBe(60);
  const s = await seqs(bob);
  expect(s).toEqual([...s].sort((a, b) => a - b));
  expect(new Set(s).size).toBe(s.length);
  // Live again.
  await seed("live", 1);
  await bob.page.locator("article.msg .body", { hasText: "live 0001" }).waitFor();
}, 60_000);
