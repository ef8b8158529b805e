// Drafts for blobs kept whole in a database (withFileDrafts): staged on the node's disk, stored on commit — on libSQL and on PostgreSQL.

import { afterAll, beforeAll, describe } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { draftRules } from "../../test/contracts/blobs.contract";
import { pgDatabase } from "../../test/cluster";
import { startServer, tempDir, type TestServer } from "../../test/harness";
import { createLogger } from "../../runtime";
import type { UploadBlobs } from "../../ports/blobs";
import { withFileDrafts } from "./draft";

const incoming = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith("incoming-")) : []);

describe("libSQL upload_blobs with file drafts", () => {
  let s: TestServer;
  let blobs: UploadBlobs;
  const dir = join(tempDir("parley-drafts-"), "uploads");
  beforeAll(async () => {
    s = await startServer();
    blobs = withFileDrafts(s.ctx.store.blobs, dir, createLogger("error"));
  });
  afterAll(() => s.stop());
  draftRules(() => blobs, () => incoming(dir));
});

// Made at module scope, not in beforeAll: bun 1.4.5's test runner may kill processes a hook spawned.
const db = await pgDatabase("parley_drafts_");

describe("PostgreSQL upload_blobs with file drafts (ctx.blobs of a cluster node)", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ config: { databaseUrl: db.url } });
  });
  afterAll(async () => {
    await s.stop();
    await db.drop();
  });
  draftRules(() => s.ctx.blobs, () => incoming(join(s.dataDir, "uploads")));
});
