// Slow mode on one process: the check stays synchronous once a room's policy is cached.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { AppError } from "../../errors";
import { api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { createPolicy } from "./policy";

let s: TestServer;
let now = Date.now();
let owner: Session;
let member: Session;

beforeAll(async () => {
  s = await startServer({ clock: { now: () => now } });
  [owner, member] = await Promise.all([register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

/** What admit did: "ok" or the error code, and whether it answered through a promise. */
async function admitted(policy: ReturnType<typeof createPolicy>, room: string, userId: string) {
  try {
    const r = policy.admit(room, userId);
    if (r instanceof Promise) return { sync: false, result: await r.then(() => "ok", (e: AppError) => e.code) };
    return { sync: true, result: "ok" };
  } catch (e) {
    return { sync: true, result: (e as AppError).code };
  }
}

test("MOD-SLOW-2 one process: with the room's policy cached, slow mode answers without a promise (allowed or rate_limited), and again once the interval has passed", async () => {
  expect(s.ctx.limits.scope).toBe("node");
  const room = await createRoom(s.url, owner);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, member.accessToken);
  expect((await api(s.url, "PATCH", `/api/rooms/${room}`, { slowModeSec: 49 }, owner.accessToken)).status).toBe(200);
  const policy = createPolicy(s.ctx);
  // The first check loads the room's policy from the store.
  expect(await admitted(policy, room, member.user.id)).toEqual({ sync: false, result: "ok" });
  expect(await admitted(policy, room, member.user.id)).toEqual({ sync: true, result: "rate_limited" });
  expect(await admitted(policy, room, owner.user.id)).toEqual({ sync: true, result: "ok" });
  expect(await admitted(policy, room, owner.user.id)).toEqual({ sync: true, result: "ok" }); // admins are exempt
  now += 48_999;
  expect(await admitted(policy, room, member.user.id)).toEqual({ sync: true, result: "rate_limited" });
  // Exactly 49 s later (49 × (1/49) is just under 1 in floating point: the bucket counts milliseconds).
  now += 1;
  expect(await admitted(policy, room, member.user.id)).toEqual({ sync: true, result: "ok" });
});
