-- Full-text search over message bodies: FTS5 with the trigram tokenizer (partial words, CJK).
-- External content (the events table); triggers keep it in step on send, edit and delete.
CREATE VIRTUAL TABLE `events_fts` USING fts5(body, content='events', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
CREATE TRIGGER `events_fts_ai` AFTER INSERT ON `events` WHEN new.kind = 'message' AND new.body IS NOT NULL BEGIN
  INSERT INTO events_fts(rowid, body) VALUES (new.rowid, new.body);
END;
--> statement-breakpoint
CREATE TRIGGER `events_fts_au` AFTER UPDATE OF body ON `events` WHEN old.kind = 'message' BEGIN
  INSERT INTO events_fts(events_fts, rowid, body) SELECT 'delete', old.rowid, old.body WHERE old.body IS NOT NULL;
  INSERT INTO events_fts(rowid, body) SELECT new.rowid, new.body WHERE new.body IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `events_fts_ad` AFTER DELETE ON `events` WHEN old.kind = 'message' AND old.body IS NOT NULL BEGIN
  INSERT INTO events_fts(events_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
END;
