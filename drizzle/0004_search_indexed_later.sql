-- Search indexing leaves the send transaction: the per-row insert trigger cost more than the rest of
-- an append (docs/benchmarks.md). The store indexes new message rows in bulk, by rowid, shortly after
-- they commit (and before any search runs). `search_indexed.upto` is the highest events rowid already
-- considered; edits and deletes touch the index only for rows at or below it (the bulk pass reads
-- the current body of the others).
-- The index is rebuilt with columnsize=0 (no per-row size record, which only ranking uses: 11.1 →
-- 7.5 µs per row indexed) and automerge=16 (fewer, larger segment merges: 15.7 → 9.4 µs per row in
-- passes of 1,000, at a slightly slower query); the bulk passes refill it from rowid 0.
DROP TRIGGER `events_fts_ai`;
--> statement-breakpoint
DROP TRIGGER `events_fts_au`;
--> statement-breakpoint
DROP TRIGGER `events_fts_ad`;
--> statement-breakpoint
DROP TABLE `events_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `events_fts` USING fts5(body, content='events', content_rowid='rowid', tokenize='trigram', columnsize=0);
--> statement-breakpoint
INSERT INTO `events_fts`(`events_fts`, `rank`) VALUES ('automerge', 16);
--> statement-breakpoint
CREATE TABLE `search_indexed` (`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1), `upto` integer NOT NULL);
--> statement-breakpoint
INSERT INTO `search_indexed` VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `events_fts_au` AFTER UPDATE OF body ON `events` WHEN old.kind = 'message' AND old.rowid <= (SELECT upto FROM search_indexed) BEGIN
  INSERT INTO events_fts(events_fts, rowid, body) SELECT 'delete', old.rowid, old.body WHERE old.body IS NOT NULL;
  INSERT INTO events_fts(rowid, body) SELECT new.rowid, new.body WHERE new.body IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `events_fts_ad` AFTER DELETE ON `events` WHEN old.kind = 'message' AND old.body IS NOT NULL AND old.rowid <= (SELECT upto FROM search_indexed) BEGIN
  INSERT INTO events_fts(events_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
END;
