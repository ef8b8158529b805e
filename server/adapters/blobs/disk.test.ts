// The UploadBlobs contract on the disk adapter, and what only files can break: leftovers of a crash, names outside the directory.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blobId, blobRules, someBytes } from "../../test/contracts/blobs.contract";
import { tempDir } from "../../test/harness";
import { createLogger } from "../../runtime";
import { createDiskBlobs } from "./disk";

const root = tempDir("parley-blobs-");
const dir = join(root, "uploads"); // made by the first put, as <data>/uploads/ is
const blobs = createDiskBlobs(dir, createLogger("error"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("disk blobs", () => {
  blobRules(() => blobs);

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
});
