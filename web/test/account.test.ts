// Your account in the browser: display name and picture reach the other browser without reloading; sessions list with sign-out per session; password change ends the other sessions; account screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { createRoom, joinRoom, makePng, newPerson, say, seeMessage, setup, SHOTS, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let alice: Person;
let bob: Person;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  env = await setup();
  alice = await newPerson(env.browser, env.url, { prefix: "alice", displayName: "Alice Avery" });
  bob = await newPerson(env.browser, env.url, { prefix: "bob", displayName: "Bob Before" });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

async function signIn(username: string, password = PASSWORD): Promise<Page> {
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(env.url);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  return page;
}

const openAccount = (page: Page) => page.getByRole("button", { name: "Account settings" }).click();

test("ACCOUNT-WEB-1 a new display name and picture reach the other browser without reloading; removing the picture brings the initials back", async () => {
  await createRoom(alice.page, "profiles");
  await joinRoom(bob.page, "profiles");
  await say(bob.page, "Before the change");
  const msg = alice.page.locator("article.msg", { hasText: "Before the change" });
  await msg.locator(".sender", { hasText: "Bob Before" }).waitFor();

  await openAccount(bob.page);
  await bob.page.getByRole("heading", { level: 1, name: "Account settings" }).waitFor();
  await bob.page.getByLabel("Display name").fill("Bobby Tables");
  await bob.page.getByRole("region", { name: "Profile" }).getByRole("button", { name: "Save" }).click();
  await bob.page.getByText("Display name saved.").waitFor();
  await bob.page.getByLabel("Choose a picture").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: await makePng(bob.page, 96, 96) });
  await bob.page.getByRole("button", { name: "Remove picture" }).waitFor();
  // Bob's own footer shows the picture too.
  await bob.page.locator(".side-foot .avatar img").waitFor();

  await msg.locator(".sender", { hasText: "Bobby Tables" }).waitFor();
  const pic = msg.locator(".avatar img");
  await pic.waitFor();
  await alice.page.waitForFunction((el) => (el as HTMLImageElement).naturalWidth > 0, await pic.elementHandle());
  // The member list shows it as well.
  await alice.page.getByRole("button", { name: /^Members/ }).click();
  await alice.page.getByRole("dialog").getByRole("listitem").filter({ hasText: "Bobby Tables" }).locator(".avatar img").waitFor();
  await alice.page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

  await bob.page.getByRole("button", { name: "Remove picture" }).click();
  await bob.page.getByRole("button", { name: "Upload picture" }).waitFor();
  await pic.waitFor({ state: "detached" });
  expect(await msg.locator(".avatar").first().textContent()).toBe("BT");
}, 60_000);

test("ACCOUNT-WEB-2 the sessions list signs another session out; that page is signed out at once", async () => {
  const other = await signIn(bob.username);
  await bob.page.getByRole("link", { name: /Room profiles/ }).click();
  await openAccount(bob.page);
  const list = bob.page.getByRole("list", { name: "Sessions" });
  await list.getByRole("listitem").nth(1).waitFor();
  const rows = list.getByRole("listitem");
  expect(await rows.count()).toBe(2);
  await rows.filter({ hasText: "This device" }).waitFor();
  await rows.filter({ hasNotText: "This device" }).getByRole("button", { name: "Sign out" }).click();
  await rows.nth(1).waitFor({ state: "detached" });

  await other.getByRole("alert").filter({ hasText: "Your session has ended" }).waitFor();
  expect(await other.getByRole("navigation", { name: "Conversations" }).count()).toBe(0);
  await other.context().close();
}, 60_000);

test("ACCOUNT-WEB-3 changing the password: a wrong current one is refused; the right one signs out the other sessions, not this one", async () => {
  const other = await signIn(bob.username);
  await openAccount(bob.page);
  const card = bob.page.getByRole("region", { name: "Password" });
  await card.getByLabel("Current password").fill("not my password");
  await card.getByLabel("New password", { exact: true }).fill("a brand new secret");
  await card.getByLabel("Repeat new password").fill("a brand new secret");
  await card.getByRole("button", { name: "Change password" }).click();
  await card.getByRole("alert").filter({ hasText: "Your current password is not right." }).waitFor();

  await card.getByLabel("Repeat new password").fill("something else");
  await card.getByRole("button", { name: "Change password" }).click();
  await card.getByRole("alert").filter({ hasText: "don't match" }).waitFor();

  await card.getByLabel("Current password").fill(PASSWORD);
  await card.getByLabel("Repeat new password").fill("a brand new secret");
  await card.getByRole("button", { name: "Change password" }).click();
  await card.getByText("Password changed.").waitFor();
  await other.getByRole("alert").filter({ hasText: "Your session has ended" }).waitFor();
  await other.context().close();

  // This page still works, and the new password signs in.
  await bob.page.getByRole("link", { name: /Room profiles/ }).click();
  await say(bob.page, "Still here after the change");
  await seeMessage(alice.page, "Still here after the change");
  const again = await signIn(bob.username, "a brand new secret");
  await again.context().close();
}, 60_000);

test("account settings screenshots (light and dark, desktop and phone)", async () => {
  mkdirSync(SHOTS, { recursive: true });
  const page = alice.page;
  await openAccount(page);
  await page.getByLabel("Choose a picture").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: await makePng(page, 96, 96) });
  await page.getByRole("button", { name: "Remove picture" }).waitFor();
  await page.getByRole("list", { name: "Sessions" }).getByText("This device").waitFor();
  await page.waitForFunction(() => !document.querySelector(".toast"));
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${SHOTS}account-${scheme}.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: `${SHOTS}account-phone-${scheme}.png` });
  }
  expect([...alice.errors, ...bob.errors]).toEqual([]);
}, 60_000);
