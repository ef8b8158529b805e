// Store contract, the single-sign-on identities sub-store: (issuer, subject) → user, made with its account in one step.

import { describe, expect, test } from "bun:test";
import { AppError } from "../../../errors";
import type { UserRow } from "../../../ports/store";
import { newUser, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

const userRow = (over: Partial<UserRow> = {}): UserRow => ({
  id: uniq("u"), username: uniq("sso").toLowerCase().slice(0, 32), displayName: "SSO User", passwordHash: "",
  isAdmin: false, deactivatedAt: null, createdAt: tick(), lastSeen: null, avatarId: null, ...over,
});

export function identityRules(factory: StoreFactory) {
  describe("identities", () => {
    const fresh = useFreshStore(factory);

    test("STORE-90 find gives the link of exactly that (issuer, subject); undefined for any other pair", async () => {
      const s = fresh.store;
      const issuer = "https://id.example.com/" + uniq("realm");
      const u = userRow();
      const at = tick();
      expect(await s.identities.createLinked(u, { issuer, subject: "Sub-1", createdAt: at })).toBe(u.id);
      expect(await s.identities.find(issuer, "Sub-1")).toEqual({ issuer, subject: "Sub-1", userId: u.id, createdAt: at });
      expect(await s.identities.find(issuer, "sub-1")).toBeUndefined(); // subjects are case-sensitive
      expect(await s.identities.find(issuer + "/", "Sub-1")).toBeUndefined();
      expect(await s.identities.find("https://other.example.com", "Sub-1")).toBeUndefined();
    });

    test("STORE-91 createLinked stores the account as given with its link; a subject linked already stores nothing and gives the linked user", async () => {
      const s = fresh.store;
      const issuer = "https://id.example.com/" + uniq("realm");
      const u = userRow({ isAdmin: true, displayName: "Zoë 🙂" });
      expect(await s.identities.createLinked(u, { issuer, subject: "same", createdAt: tick() })).toBe(u.id);
      expect(await s.userById(u.id)).toEqual(u);
      const late = userRow();
      expect(await s.identities.createLinked(late, { issuer, subject: "same", createdAt: tick() })).toBe(u.id);
      expect(await s.userById(late.id)).toBeUndefined();
      expect(await s.userByName(late.username)).toBeUndefined();
      // The same subject at another issuer is another person.
      const other = userRow();
      expect(await s.identities.createLinked(other, { issuer: issuer + "-2", subject: "same", createdAt: tick() })).toBe(other.id);
    });

    test("STORE-92 a taken username is AppError(conflict) and stores neither the account nor the link", async () => {
      const s = fresh.store;
      const issuer = "https://id.example.com/" + uniq("realm");
      const taken = await newUser(s);
      const u = userRow({ username: taken.username });
      const err = await s.identities.createLinked(u, { issuer, subject: "x", createdAt: tick() }).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("conflict");
      expect(await s.identities.find(issuer, "x")).toBeUndefined();
      expect(await s.userById(u.id)).toBeUndefined();
      expect((await s.userByName(taken.username))!.id).toBe(taken.id);
    });

    if (factory.openSecond) {
      test("STORE-93 concurrent first logins of one subject on two instances make one account; both get its id", async () => {
        const [a, b] = [fresh.store, await fresh.second()];
        const issuer = "https://id.example.com/" + uniq("realm");
        for (let round = 0; round < 5; round++) {
          const subject = uniq("race");
          const [u1, u2] = [userRow(), userRow()];
          const ids = await Promise.all([a.identities.createLinked(u1, { issuer, subject, createdAt: tick() }), b.identities.createLinked(u2, { issuer, subject, createdAt: tick() })]);
          expect(ids[0]).toBe(ids[1]);
          const losers = [u1, u2].filter((u) => u.id !== ids[0]);
          expect(losers).toHaveLength(1);
          expect(await a.userById(losers[0].id)).toBeUndefined();
          expect((await b.identities.find(issuer, subject))!.userId).toBe(ids[0]);
        }
      });
    }
  });
}
