// k6 is not installable here, so this checks the k6 scripts at least bundle (k6 modules external) and export what k6 expects.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const scripts = ["ws-fanout.js", "http.js"];

describe("k6 scripts", () => {
  for (const name of scripts) {
    test(`${name} bundles with k6 modules external`, async () => {
      const out = await Bun.build({ entrypoints: [join(import.meta.dir, name)], external: ["k6", "k6/*"], target: "browser", format: "esm" });
      expect(out.logs.filter((l) => l.level === "error")).toEqual([]);
      expect(out.success).toBe(true);
      const code = await out.outputs[0].text();
      expect(code).toContain("k6/");
      expect(code).toMatch(/export\s*\{[^}]*\bsetup\b/);
      expect(code).toMatch(/export\s*\{[^}]*\boptions\b/);
      expect(code).toMatch(/export\s*\{[^}]*\bdefault\b|export default/);
    });
  }
});
