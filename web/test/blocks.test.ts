// Blocking and expiring messages in Chromium: block from the members dialog, the blocked person's messages collapse (and can
// be shown), they cannot open a DM with the blocker, the account settings list undoes it; a room's expiring messages
// (a custom minute, passed on the server's clock) turn into "This message expired." for everyone.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRoom, joinRoom, newPerson, requireBrowser, say, seeMessage, setup, type Person } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let ann: Person;
let ben: Person;
/** The server's clock runs this far ahead once a test moves it (expiry without a minute's wait). */
let skewMs = 0;

beforeAll(async () => {
  env = await setup({ clock: { now: () => Date.now() + skewMs } });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

const collapsed = (p: Person) => p.page.getByRole("article", { name: "Message from a blocked person" });

test("BLOCK-W1 a blocked person's messages collapse, their DM is refused, and the account settings undo it", async () => {
  ann = await newPerson(env.browser, env.url, { prefix: "ann", displayName: "Ann Archer" });
  ben = await newPerson(env.browser, env.url, { prefix: "ben", displayName: "Ben Baker" });
  ann.page.on("dialog", (d) => void d.accept());
  await createRoom(ann.page, "plaza", "Everyone welcome");
  await joinRoom(ben.page, "plaza");
  await say(ben.page, "Buy my mixtape, link in bio");
  await seeMessage(ann.page, "mixtape");

  await ann.page.getByRole("button", { name: /^Members/ }).click();
  const row = ann.page.getByRole("dialog").locator("li.member", { hasText: "Ben Baker" });
  await row.getByRole("button", { name: "Block" }).click();
  await row.getByRole("button", { name: "Unblock" }).waitFor();
  await ann.page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  await collapsed(ann).waitFor();
  expect(await ann.page.locator("article.msg .body", { hasText: "mixtape" }).count()).toBe(0);
  // New messages collapse too; "Show" reveals one.
  await say(ben.page, "Seriously, buy it");
  await collapsed(ann).nth(1).waitFor();
  await collapsed(ann).first().getByRole("button", { name: "Show" }).click();
  await seeMessage(ann.page, "mixtape");
  expect(await collapsed(ann).count()).toBe(1);

  // Ben cannot open a DM with Ann.
  await ben.page.getByRole("button", { name: "New direct message" }).click();
  await ben.page.getByLabel("Username").fill(ann.username);
  await ben.page.getByRole("button", { name: "Start chat" }).click();
  await ben.page.getByRole("dialog").getByRole("alert").filter({ hasText: /./ }).waitFor();
  await ben.page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

  // Account settings: the blocked list, and unblocking from it.
  await ann.page.goto(env.url + "/account");
  const list = ann.page.getByRole("list", { name: "Blocked people" });
  await list.getByText("Ben Baker").waitFor();
  await list.getByRole("button", { name: "Unblock" }).click();
  await list.getByText("You haven't blocked anyone.").waitFor();
  await ann.page.getByRole("link", { name: /^Room plaza/ }).click();
  await seeMessage(ann.page, "Seriously, buy it");
  expect(await collapsed(ann).count()).toBe(0);
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);

test("EXPIRE-W1 room settings: expiring messages with a custom duration; expired messages show as expired for everyone", async () => {
  await ann.page.getByRole("button", { name: "Room settings" }).click();
  const dlg = ann.page.getByRole("dialog", { name: "Room settings" });
  await dlg.getByLabel("Expiring messages").selectOption("custom");
  await dlg.getByLabel("Unit").selectOption({ label: "minutes" });
  await dlg.getByLabel("Delete after", { exact: true }).fill("1"); // the shortest the server takes
  await dlg.getByRole("button", { name: "Save" }).click();
  await dlg.waitFor({ state: "detached" });
  await say(ann.page, "This note self-destructs");
  await seeMessage(ben.page, "self-destructs");
  // The minute passes on the server's clock; the expiry job's next pass (every 10 s) deletes the message.
  skewMs = 61_000;
  for (const p of [ann, ben]) await p.page.getByText("This message expired.").first().waitFor({ timeout: 30_000 });
  expect(await ben.page.locator("article.msg .body", { hasText: "self-destructs" }).count()).toBe(0);
  // The setting reads back as custom.
  await ann.page.getByRole("button", { name: "Room settings" }).click();
  expect(await dlg.getByLabel("Expiring messages").inputValue()).toBe("custom");
  await dlg.getByLabel("Expiring messages").selectOption({ label: "Off" });
  await dlg.getByRole("button", { name: "Save" }).click();
  await dlg.waitFor({ state: "detached" });
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);
