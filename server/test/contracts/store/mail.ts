// Store contract, mail for what users missed: the per-user row, codes, who is due, one claim per interval.

import { describe, expect, test } from "bun:test";
import type { MailPrefsRow } from "../../../ports/mail";
import { newUser, uniq, useFreshStore, type StoreFactory } from "./fixtures";

const row = (userId: string, over: Partial<MailPrefsRow> = {}): MailPrefsRow => ({
  userId, email: null, pendingEmail: null, confirmHash: null, confirmExpiresAt: null, unsubscribeHash: uniq("unsub"), unsubscribed: false, lastMailedAt: 0, ...over,
});

export function mailRules(factory: StoreFactory) {
  describe("mail", () => {
    const fresh = useFreshStore(factory);

    test("STORE-146 put inserts, then replaces the user's row whole; get gives it back; undefined when none", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      expect(await s.mail.get(u.id)).toBeUndefined();
      const first = row(u.id, { pendingEmail: "a@example.com", confirmHash: uniq("c"), confirmExpiresAt: 1_000 });
      await s.mail.put(first);
      expect(await s.mail.get(u.id)).toEqual(first);
      const second = { ...first, email: "a@example.com", pendingEmail: null, confirmHash: null, confirmExpiresAt: null, unsubscribed: true, lastMailedAt: 5 };
      await s.mail.put(second);
      expect(await s.mail.get(u.id)).toEqual(second);
    });

    test("STORE-147 byConfirmHash and byUnsubscribeHash find the row; unknown codes give undefined", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const r = row(u.id, { confirmHash: uniq("c") });
      await s.mail.put(r);
      expect(await s.mail.byConfirmHash(r.confirmHash!)).toEqual(r);
      expect(await s.mail.byUnsubscribeHash(r.unsubscribeHash)).toEqual(r);
      expect(await s.mail.byConfirmHash("nope")).toBeUndefined();
      expect(await s.mail.byUnsubscribeHash("nope")).toBeUndefined();
    });

    test("STORE-148 due: confirmed, subscribed, not mailed since, active, offline since; paged by user id", async () => {
      const s = fresh.store;
      const ok = await newUser(s, { lastSeen: 100 });
      const ok2 = await newUser(s, { lastSeen: 100 });
      const unconfirmed = await newUser(s, { lastSeen: 100 });
      const unsubscribed = await newUser(s, { lastSeen: 100 });
      const mailedLately = await newUser(s, { lastSeen: 100 });
      const online = await newUser(s, { lastSeen: 900 });
      const neverSeen = await newUser(s, { lastSeen: null });
      const gone = await newUser(s, { lastSeen: 100, deactivatedAt: 200 });
      for (const u of [ok, ok2, online, neverSeen, gone]) await s.mail.put(row(u.id, { email: `${u.username}@example.com` }));
      await s.mail.put(row(unconfirmed.id, { pendingEmail: "x@example.com" }));
      await s.mail.put(row(unsubscribed.id, { email: "y@example.com", unsubscribed: true }));
      await s.mail.put(row(mailedLately.id, { email: "z@example.com", lastMailedAt: 600 }));
      const mine = new Set([ok, ok2, unconfirmed, unsubscribed, mailedLately, online, neverSeen, gone].map((u) => u.id));
      const due = (await s.mail.due({ offlineBefore: 500, mailedBefore: 500, limit: 1000 })).filter((d) => mine.has(d.userId));
      const want = [ok, ok2].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(due).toEqual(want.map((u) => ({ userId: u.id, email: `${u.username}@example.com`, lastMailedAt: 0 })));
      const page = await s.mail.due({ offlineBefore: 500, mailedBefore: 500, after: want[0].id, limit: 1000 });
      expect(page.some((d) => d.userId === want[0].id)).toBe(false);
      expect(page.some((d) => d.userId === want[1].id)).toBe(true);
    });

    test("STORE-149 claim sets lastMailedAt once per interval: of concurrent claims exactly one wins (across instances when the adapter has them)", async () => {
      const a = fresh.store;
      const b = factory.openSecond ? await fresh.second() : a;
      const u = await newUser(a);
      await a.mail.put(row(u.id, { email: "c@example.com" }));
      const got = await Promise.all([a, b, a, b, a, b].map((s) => s.mail.claim(u.id, 1_000, 1_000)));
      expect(got.filter(Boolean)).toHaveLength(1);
      expect((await a.mail.get(u.id))!.lastMailedAt).toBe(1_000);
      expect(await a.mail.claim(u.id, 1_500, 1_000)).toBe(false); // still within the interval
      expect(await a.mail.claim(u.id, 2_000, 2_000)).toBe(true);
      expect(await a.mail.claim("nobody", 1, 10)).toBe(false);
    });
  });
}
