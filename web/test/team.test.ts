// Running a team in the browser: invite links (admin creates, a newcomer signs up into the invite's room and chats), invite-only sign-up, deactivation signs a page out at once, room roles; administration screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { createRoom, newPerson, say, seeMessage, setup, SHOTS, type Person, requireBrowser, uname } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let admin: Person;

beforeAll(async () => {
  // The contract's default: invite-only, the first account always allowed (and made server admin).
  env = await setup({ config: { registration: "invite" } });
  admin = await newPerson(env.browser, env.url, { prefix: "ada", displayName: "Ada Admin" });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

/** Open a fresh context on a path, without signing in. */
async function visit(path: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const ctx = await env.browser.newContext({ viewport });
  const page = await ctx.newPage();
  await page.goto(env.url + path);
  return page;
}

async function signUp(page: Page, username: string, displayName = ""): Promise<void> {
  await page.getByLabel("Username").fill(username);
  if (displayName) await page.getByLabel("Display name").fill(displayName);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
}

async function openAdmin(page: Page, tab: "People" | "Invites"): Promise<void> {
  if (!(await page.getByRole("heading", { level: 1, name: "Administration" }).count())) {
    await page.getByRole("button", { name: /^Your status/ }).click();
    await page.getByRole("menuitem", { name: "Administration" }).click();
  }
  await page.getByRole("heading", { level: 1, name: "Administration" }).waitFor();
  await page.getByRole("tab", { name: tab }).click();
}

/** Create an invite on the open Invites tab and return its link (waits for the new one, not a previous one). */
async function newInviteLink(page: Page): Promise<string> {
  const box = page.getByRole("textbox", { name: "Invite link", exact: true });
  const before = (await box.count()) ? await box.inputValue() : "";
  await page.getByRole("button", { name: "Create invite link" }).click();
  await page.waitForFunction((old) => {
    const v = (document.querySelector("input[aria-label='Invite link']") as HTMLInputElement | null)?.value;
    return !!v && v !== old;
  }, before);
  return box.inputValue();
}

test("TEAM-WEB-1 an admin's invite link: the newcomer signs up into the invite's room and chats", async () => {
  await createRoom(admin.page, "launch", "Launch planning", "private");
  await openAdmin(admin.page, "Invites");
  await admin.page.getByRole("checkbox", { name: /launch/ }).check();
  await admin.page.getByLabel("Uses").fill("2");
  const link = await newInviteLink(admin.page);
  expect(link).toMatch(new RegExp(`^${env.url}/invite/[A-Za-z0-9_-]{16,}$`));
  await admin.page.getByRole("list", { name: "Invites" }).getByText("0/2 used").waitFor();

  const page = await visit(new URL(link).pathname);
  await page.getByText("You're invited to join").waitFor();
  await page.getByText("#launch").waitFor();
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Create your account");
  await signUp(page, uname("nia"), "Nia Newcomer");
  // Lands in the invite's room, at its own address.
  await page.getByRole("heading", { level: 1, name: "launch" }).waitFor();
  expect(new URL(page.url()).pathname).toMatch(/^\/r\//);
  await say(page, "Hello from the invite link!");
  await admin.page.getByRole("link", { name: /Room launch/ }).click();
  await seeMessage(admin.page, "Hello from the invite link!");
  await say(admin.page, "Welcome aboard, Nia.");
  await seeMessage(page, "Welcome aboard, Nia.");
  await page.context().close();

  // The link's use is counted; revoking it makes it say so to the next visitor.
  await openAdmin(admin.page, "Invites");
  const row = admin.page.getByRole("list", { name: "Invites" }).getByRole("listitem").filter({ hasText: "1/2 used" });
  admin.page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Revoke" }).click();
  await row.waitFor({ state: "detached" });
  const late = await visit(new URL(link).pathname);
  await late.getByText("This invite link is no longer valid.").waitFor();
  await late.context().close();
  // Opened while signed in, an invite link just shows the app.
  await admin.page.goto(link);
  await admin.page.getByRole("navigation", { name: "Conversations" }).waitFor();
  await admin.page.waitForURL(env.url + "/");
}, 60_000);

test("TEAM-WEB-2 invite-only sign-up without a code says an invite is needed", async () => {
  const page = await visit("/");
  await page.getByRole("button", { name: "Create an account" }).click();
  await signUp(page, uname("walk"));
  await page.getByRole("alert").filter({ hasText: "invite-only" }).waitFor();
  expect(await page.getByRole("navigation", { name: "Conversations" }).count()).toBe(0);
  await page.context().close();
}, 30_000);

test("TEAM-WEB-3 the admin deactivates a user: their open page is signed out at once with a clear message", async () => {
  // Invite a user (the server is invite-only), who then sits on an open page.
  await openAdmin(admin.page, "Invites");
  const link = await newInviteLink(admin.page);
  const page = await visit(new URL(link).pathname);
  const name = uname("dex");
  await signUp(page, name, "Dex Departing");
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();

  await openAdmin(admin.page, "People");
  await admin.page.getByRole("searchbox", { name: "Search people" }).fill(name);
  const row = admin.page.getByRole("list", { name: "People" }).getByRole("listitem").filter({ hasText: `@${name}` });
  await expect(row.count()).resolves.toBeLessThanOrEqual(1);
  admin.page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Deactivate" }).click();
  await row.getByText("deactivated").waitFor();

  await page.getByRole("alert").filter({ hasText: "deactivated" }).waitFor();
  expect(await page.getByRole("navigation", { name: "Conversations" }).count()).toBe(0);
  expect(await page.evaluate(() => localStorage.getItem("parley.session"))).toBeNull();

  // Reactivated, they can sign in again.
  await row.getByRole("button", { name: "Reactivate" }).click();
  await row.getByText("deactivated").waitFor({ state: "detached" });
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  await page.context().close();
}, 60_000);

test("TEAM-WEB-4 admin rights and a one-time password-reset code from the People list", async () => {
  await openAdmin(admin.page, "Invites");
  const page = await visit(new URL(await newInviteLink(admin.page)).pathname);
  const name = uname("rex");
  await signUp(page, name, "Rex Reset");
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  await page.getByRole("button", { name: /^Your status/ }).click();
  await page.getByRole("menuitem", { name: "Account settings" }).waitFor();
  expect(await page.getByRole("menuitem", { name: "Administration" }).count()).toBe(0);

  await openAdmin(admin.page, "People");
  await admin.page.getByRole("searchbox", { name: "Search people" }).fill(name);
  const row = admin.page.getByRole("list", { name: "People" }).getByRole("listitem").filter({ hasText: `@${name}` });
  await row.getByRole("button", { name: "Make admin" }).click();
  await row.getByText("admin", { exact: true }).waitFor();
  await row.getByRole("button", { name: "Remove admin" }).click();
  await row.getByRole("button", { name: "Make admin" }).waitFor();

  await row.getByRole("button", { name: "Reset password" }).click();
  const code = await admin.page.getByRole("textbox", { name: "Reset code", exact: true }).inputValue();
  expect(code.length).toBeGreaterThanOrEqual(8);
  await admin.page.getByRole("button", { name: "Done" }).click();

  // Rex redeems it on another device: a wrong code is refused, the right one signs in and ends the old session.
  const fresh = await visit("/");
  await fresh.getByRole("button", { name: "Have a password-reset code?" }).click();
  const dlg = fresh.getByRole("dialog", { name: "Reset your password" });
  await dlg.getByLabel("Reset code").fill("not-a-real-code");
  await dlg.getByLabel("New password").fill("a new start 123");
  await dlg.getByRole("button", { name: "Set password and sign in" }).click();
  await dlg.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
  await dlg.getByLabel("Reset code").fill(code);
  await dlg.getByRole("button", { name: "Set password and sign in" }).click();
  await fresh.getByRole("navigation", { name: "Conversations" }).waitFor();
  await page.getByRole("alert").filter({ hasText: "Your session has ended" }).waitFor();
  await fresh.context().close();
  await page.context().close();
}, 60_000);

test("TEAM-WEB-5 room roles: the owner makes a member admin, then hands over ownership", async () => {
  await createRoom(admin.page, "roles", "", "public");
  await openAdmin(admin.page, "Invites");
  await admin.page.getByRole("checkbox", { name: /roles/ }).check();
  const page = await visit(new URL(await newInviteLink(admin.page)).pathname);
  await signUp(page, uname("mo"), "Mo Member");
  await page.getByRole("heading", { level: 1, name: "roles" }).waitFor();
  expect(await page.getByRole("button", { name: "Room settings" }).count()).toBe(0);

  await admin.page.getByRole("link", { name: /Room roles/ }).click();
  await admin.page.getByRole("button", { name: /^Members/ }).click();
  const mo = admin.page.getByRole("dialog").getByRole("listitem").filter({ hasText: "Mo Member" });
  await mo.getByRole("button", { name: "Make admin" }).click();
  await mo.getByText("admin", { exact: true }).waitFor();
  // Mo sees the room settings (admins only) without reloading.
  await page.getByRole("button", { name: "Room settings" }).waitFor();

  admin.page.once("dialog", (d) => void d.accept());
  await mo.getByRole("button", { name: "Make owner" }).click();
  await mo.getByText("owner", { exact: true }).waitFor();
  const me = admin.page.getByRole("dialog").getByRole("listitem").filter({ hasText: "(you)" });
  await me.getByText("admin", { exact: true }).waitFor();
  // No longer the owner: no role buttons for the new owner.
  expect(await mo.getByRole("button", { name: "Make owner" }).count()).toBe(0);
  await admin.page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  await page.context().close();
}, 60_000);

test("administration screenshots (light and dark, desktop and phone)", async () => {
  mkdirSync(SHOTS, { recursive: true });
  await openAdmin(admin.page, "People");
  await admin.page.getByRole("list", { name: "People" }).getByText("Ada Admin").waitFor();
  await admin.page.waitForFunction(() => !document.querySelector(".toast"));
  for (const scheme of ["light", "dark"] as const) {
    await admin.page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await admin.page.setViewportSize({ width: 1280, height: 800 });
    await admin.page.mouse.move(0, 0);
    await admin.page.screenshot({ path: `${SHOTS}admin-${scheme}.png` });
    await admin.page.setViewportSize({ width: 390, height: 844 });
    expect(await admin.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await admin.page.screenshot({ path: `${SHOTS}admin-phone-${scheme}.png` });
  }
  await admin.page.getByRole("tab", { name: "Invites" }).click();
  await admin.page.getByRole("list", { name: "Invites" }).waitFor();
  await admin.page.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
  await admin.page.setViewportSize({ width: 1280, height: 800 });
  await admin.page.screenshot({ path: `${SHOTS}admin-invites-light.png` });
  expect(admin.errors).toEqual([]);
}, 60_000);
