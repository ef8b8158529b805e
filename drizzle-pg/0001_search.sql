-- Search over message bodies: ILIKE '%text%' on the current body, accelerated by a trigram GIN index
-- (partial words and CJK match as with libSQL's trigram FTS5; the index also serves patterns too short
-- for trigrams through its recheck). pg_trgm is a trusted extension: a database owner may create it.
-- `pos` is the counterpart of SQLite's rowid for search: insertion order across every writer, the
-- opaque cursor of "older results". Holes from rolled-back inserts are harmless here; seq never uses it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "pos" bigint GENERATED ALWAYS AS IDENTITY;
--> statement-breakpoint
CREATE INDEX "events_body_trgm_idx" ON "events" USING gin ("body" gin_trgm_ops) WHERE "kind" = 'message' AND "deleted_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "events_search_pos_idx" ON "events" ("pos") WHERE "kind" = 'message' AND "deleted_at" IS NULL;
