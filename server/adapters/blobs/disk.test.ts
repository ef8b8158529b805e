// The UploadBlobs contract on the disk adapter, and what only files can break: leftovers of a crash, names outside the directory.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blobId, blobRules, draftRules, someBytes } from "../../test/contracts/blobs.contract";
import { tempDir } from "../../test/harness";
import { createLogger } from "../../runtime";
import { createDiskBlobs } from "./disk";
import { STALE_DRAFT_MS } from "./draft";

const root = tempDir("parley-blobs-");
const dir = join(root, "uploads"); // made by the first put, as <data>/uploads/ is
const blobs = createDiskBlobs(dir, createLogger("error"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("disk blobs", () => {
  blobRules(() => blobs);
  draftRules(() => blobs, () => readdirSync(dir).filter((f) => f.startsWith("incoming-")));

  test("BLOB-13 a draft's temporary file is never served, is private to the owner, and a commit under a name that is not an id fails and removes it", async () => {
    const d = await blobs.begin();
    await d.write(someBytes(10));
    const [part] = readdirSync(dir).filter((f) => f.startsWith("incoming-"));
    expect(part).toEndWith(".part");
    expect(await blobs.get(part)).toBeUndefined();
    expect((await Bun.file(join(dir, part)).stat()).mode & 0o077).toBe(0);
    await expect(d.commit("../escape")).rejects.toThrow(/not a blob id/);
    expect(readdirSync(dir).filter((f) => f.startsWith("incoming-"))).toEqual([]);
    expect(existsSync(join(root, "escape"))).toBe(false);
  });

  test("BLOB-7 a half-written file a crash left (<id>.part) is never served; the next put of that id succeeds and leaves no .part", async () => {
    const id = blobId();
    await blobs.put(blobId(), someBytes(1)); // the directory exists
    writeFileSync(join(dir, `${id}.part`), someBytes(3));
    expect(await blobs.get(id)).toBeUndefined();
    expect(await blobs.get(`${id}.part`)).toBeUndefined();
    await blobs.put(id, someBytes(9, 7));
    expect(new Uint8Array(await (await blobs.get(id))!.arrayBuffer())).toEqual(someBytes(9, 7));
    expect(readdirSync(dir).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  test("BLOB-8 put refuses a name that is not an id and writes nothing, inside the directory or out of it", async () => {
    const before = readdirSync(dir).sort();
    for (const bad of ["", "..", "../escape", "a/b", "x.part", "a".repeat(65)]) {
      await expect(blobs.put(bad, someBytes(4))).rejects.toThrow(/not a blob id/);
    }
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(root, "escape"))).toBe(false);
  });

  test("BLOB-9 get gives the file itself (a BunFile: the route sends it without reading it into memory), one file per id, private to the owner", async () => {
    const id = blobId();
    await blobs.put(id, someBytes(64));
    const got = await blobs.get(id);
    // A BunFile names its path; a Blob of bytes in memory has no name.
    expect((got as unknown as { name?: string }).name).toBe(join(dir, id));
    expect(readdirSync(dir)).toContain(id);
    const mode = (await Bun.file(join(dir, id)).stat()).mode & 0o777;
    expect(mode & 0o077).toBe(0);
  });

  test("BLOB-14 draft files a dead process left behind (untouched for an hour) are removed when a new process's first draft begins; recent ones stay", async () => {
    const own = join(root, "leftovers");
    const fresh = createDiskBlobs(own, createLogger("error"));
    await fresh.put(blobId(), someBytes(1)); // the directory exists
    const [stale, recent] = [`incoming-${crypto.randomUUID()}.part`, `incoming-${crypto.randomUUID()}.part`];
    writeFileSync(join(own, stale), someBytes(5));
    writeFileSync(join(own, recent), someBytes(5));
    const old = (Date.now() - STALE_DRAFT_MS - 60_000) / 1000;
    utimesSync(join(own, stale), old, old);
    const d = await fresh.begin();
    const deadline = Date.now() + 10_000;
    while (existsSync(join(own, stale)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(existsSync(join(own, stale))).toBe(false);
    expect(existsSync(join(own, recent))).toBe(true);
    await d.abort();
  });
});
