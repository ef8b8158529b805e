// READ-5: a room-list snapshot fetched before a live message must not wipe that message's unread badge.
// The HTTP answer is held back until the live event has been counted: the order a slow server produces.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, Client, createRoom as apiCreateRoom, register } from "../../server/test/harness";
import { createRoom, joinRoom, newPerson, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let bob: Person;

beforeAll(async () => {
  env = await setup();
}, 60_000);
afterAll(async () => {
  await env?.stop();
}, 60_000);

test("READ-5 a stale room list arriving after a live message keeps its unread badge", async () => {
  const alice = await register(env.url);
  const design = await apiCreateRoom(env.url, alice, "public", "design");
  bob = await newPerson(env.browser, env.url, { prefix: "bob" });
  await joinRoom(bob.page, "design");
  await createRoom(bob.page, "random");

  // Bob's next room-list fetch is answered by the server at once, but delivered only when released.
  let fetched!: () => void;
  const wasFetched = new Promise<void>((r) => (fetched = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await bob.page.route(/\/api\/rooms$/, async (route) => {
    if (route.request().method() !== "GET") return route.fallback();
    const response = await route.fetch();
    fetched();
    await released;
    await route.fulfill({ response });
  }, { times: 1 });

  // An invitation to a room Bob's client does not know makes it re-read the room list.
  const secret = await apiCreateRoom(env.url, alice, "private", "secret");
  const added = await api(env.url, "POST", `/api/rooms/${secret}/members`, { username: bob.username }, alice.accessToken);
  expect(added.status).toBe(201);
  await wasFetched;

  // Now a message in #design: stored after the snapshot was taken, delivered live before it lands.
  const c = await Client.connect({ wsUrl: env.url.replace("http", "ws") + "/ws" }, alice);
  const ok = await c.request({ type: "send", room: design, clientMsgId: "ping-1", body: "Ping for the badge" });
  expect(ok.type).toBe("ok");
  await bob.page.getByRole("link", { name: "Room design, 1 unread" }).waitFor();

  release();
  await bob.page.getByRole("link", { name: /Room secret/ }).waitFor();
  expect(await bob.page.getByRole("link", { name: "Room design, 1 unread" }).count()).toBe(1);
  expect(bob.errors).toEqual([]);
  c.close();
}, 60_000);
