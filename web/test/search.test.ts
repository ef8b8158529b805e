// Search: the dialog finds a message deep in history; clicking the result opens the room, loads around it, scrolls to it and highlights it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client, createRoom as apiCreateRoom, register } from "../../server/test/harness";
import { newPerson, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let bob: Person;
let seeder: Client;

beforeAll(async () => {
  env = await setup({ config: { writeBurst: 100_000, writeRatePerSec: 100_000 } });
}, 60_000);
afterAll(async () => {
  seeder?.close();
  await env?.stop();
});

test("SEARCH-1: a result far back in history opens at the message, highlighted", async () => {
  const alice = await register(env.url);
  const room = await apiCreateRoom(env.url, alice, "public", "archive");
  seeder = await Client.connect({ wsUrl: env.url.replace("http", "ws") + "/ws" }, alice);
  bob = await newPerson(env.browser, env.url, { prefix: "bob" });
  await bob.page.getByRole("button", { name: "Browse public rooms" }).click();
  await bob.page.getByRole("dialog").getByRole("listitem").filter({ hasText: "archive" }).getByRole("button", { name: "Join" }).click();
  await bob.page.getByRole("heading", { level: 1, name: "archive" }).waitFor();
  for (let i = 1; i <= 160; i++) {
    const body = i === 12 ? "The quarterly budget spreadsheet is in the shared drive" : `filler message ${i}`;
    const r = await seeder.request({ type: "send", room, clientMsgId: `s-${i}`, body });
    if (r.type !== "ok") throw new Error(JSON.stringify(r));
  }
  await bob.page.locator("article.msg .body", { hasText: "filler message 160" }).waitFor();
  // Leave the room so the jump also has to open it.
  await bob.page.goto(env.url + "/");
  await bob.page.getByRole("navigation", { name: "Conversations" }).waitFor();

  await bob.page.keyboard.press("Control+k");
  const dlg = bob.page.getByRole("dialog", { name: "Search messages" });
  await dlg.getByRole("searchbox", { name: "Search messages" }).fill("BUDGET spread");
  const result = dlg.getByRole("button", { name: /archive.*quarterly budget spreadsheet/ });
  await result.waitFor();
  // The server's highlights (protocol 1.2): each query word where it occurs.
  expect(await dlg.locator("mark").allTextContents()).toEqual(["budget", "spread"]);
  await result.click();
  await dlg.waitFor({ state: "detached" });
  const target = bob.page.locator("article.msg.flash", { hasText: "quarterly budget spreadsheet" });
  await target.waitFor();
  // In view, inside the scrolling list.
  const inView = await target.evaluate((el) => {
    const list = el.closest(".list")!.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.top >= list.top && r.bottom <= list.bottom;
  });
  expect(inView).toBe(true);
  // The timeline stays contiguous from there to the newest message, once each.
  const seqs = await bob.page.locator(".list [data-seq]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
  expect(new Set(seqs).size).toBe(seqs.length);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
  expect(await bob.page.locator("article.msg .body", { hasText: "filler message 160" }).count()).toBe(1);

  // No match says so.
  await bob.page.getByRole("button", { name: "Search messages" }).click();
  await bob.page.getByRole("searchbox", { name: "Search messages" }).fill("zebra crossing");
  await bob.page.getByText("No messages match “zebra crossing”.").waitFor();
  expect(bob.errors).toEqual([]);
}, 60_000);
