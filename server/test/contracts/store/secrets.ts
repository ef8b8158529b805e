// Store contract, server-wide state: shared secrets (get-or-create) and the backup's refusal to overwrite.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uniq, useFreshStore, type StoreFactory } from "./fixtures";

export function secretRules(factory: StoreFactory) {
  describe("shared secrets and backup", () => {
    const fresh = useFreshStore(factory);

    test("STORE-60 sharedSecret is get-or-create: the first call stores generate()'s value, later calls return that value", async () => {
      const s = fresh.store;
      const name = uniq("secret");
      expect(await s.sharedSecret(name, () => "first")).toBe("first");
      expect(await s.sharedSecret(name, () => "second")).toBe("first");
      expect(await s.sharedSecret(uniq("other"), () => "independent")).toBe("independent");
      expect(await s.sharedSecret(name, () => "third")).toBe("first");
    });

    test("STORE-61 concurrent sharedSecret calls for a new name all get the one value that won", async () => {
      const s = fresh.store;
      const name = uniq("secret");
      const got = await Promise.all([1, 2, 3, 4, 5].map((i) => s.sharedSecret(name, () => `value ${i}`)));
      expect(new Set(got).size).toBe(1);
      expect(got[0]).toMatch(/^value [1-5]$/);
      expect(await s.sharedSecret(name, () => "late")).toBe(got[0]);
    });

    test("STORE-62 backup never overwrites: an existing target makes it throw and stays as it was", async () => {
      const dir = mkdtempSync(join(tmpdir(), "parley-backup-"));
      try {
        const target = join(dir, "taken.db");
        writeFileSync(target, "keep me");
        await expect(fresh.store.backup(target)).rejects.toThrow();
        expect(readFileSync(target, "utf8")).toBe("keep me");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
