// Search filters in Chromium (protocol 1.2): chips add from:/in:/has: to the query, typed phrases work, and each result
// marks the server's highlights.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRoom, joinRoom, newPerson, requireBrowser, say, seeMessage, setup, type Person } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let ann: Person;
let ben: Person;

beforeAll(async () => {
  env = await setup();
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

test("SEARCH-W1 chips and typed filters narrow the results; matches are marked", async () => {
  ann = await newPerson(env.browser, env.url, { prefix: "ann", displayName: "Ann Archer" });
  ben = await newPerson(env.browser, env.url, { prefix: "ben", displayName: "Ben Baker" });
  await createRoom(ann.page, "ops", "Operations");
  await joinRoom(ben.page, "ops");
  await say(ann.page, "The deploy failed on staging again");
  await say(ben.page, "Deploy succeeded after the retry");
  await createRoom(ann.page, "random", "Anything");
  await say(ann.page, "Deploy party on Friday, failed jokes welcome");
  await seeMessage(ann.page, "Deploy party");

  await ann.page.getByRole("button", { name: "Search messages" }).click();
  const dlg = ann.page.getByRole("dialog", { name: "Search messages" });
  const box = dlg.getByRole("searchbox", { name: "Search messages" });
  const results = dlg.getByRole("list", { name: "Search results" }).getByRole("listitem");
  /** Wait until the results are exactly one per given text (the dialog searches 250 ms after typing). */
  const only = (...texts: string[]) =>
    ann.page.waitForFunction((want) => {
      const items = [...document.querySelectorAll('[aria-label="Search results"] li')].map((li) => li.textContent ?? "");
      return items.length === want.length && want.every((w) => items.some((i) => i.includes(w)));
    }, texts);
  await box.fill("deploy");
  await only("staging", "succeeded", "party");

  // The "From" chip adds `from:`; typing the username completes it.
  await dlg.getByRole("group", { name: "Filters" }).getByRole("button", { name: "From" }).click();
  expect(await box.inputValue()).toBe("deploy from:");
  await box.pressSequentially(ben.username);
  await only("succeeded");
  expect(await results.first().locator("mark").first().textContent()).toBe("Deploy");

  // Typed: a phrase and a room.
  await box.fill('"deploy failed"');
  await only("staging");
  expect((await results.first().locator("mark").allTextContents()).join(" ").toLowerCase()).toContain("deploy");
  await box.fill("deploy in:random");
  await only("party");
  // A chip without a value is pressed once its value is typed.
  await box.fill("deploy has:link");
  await dlg.getByText(/No messages match/).waitFor();
  expect(await dlg.getByRole("button", { name: "Has link" }).getAttribute("aria-pressed")).toBe("true");
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);
