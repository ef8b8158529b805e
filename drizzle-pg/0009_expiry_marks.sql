CREATE TABLE "expiry_marks" (
	"room_id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL
);
--> statement-breakpoint
-- Each room with a TTL starts at the seq before its first live message (found with the index, before it goes), so the scan does not read its tombstones again after the upgrade.
INSERT INTO "expiry_marks" ("room_id", "seq") SELECT r."id", coalesce((SELECT min(e."seq") FROM "events" e WHERE e."room_id" = r."id" AND e."kind" = 'message' AND e."deleted_at" IS NULL) - 1, r."last_seq") FROM "rooms" r WHERE r."message_ttl_sec" > 0;
--> statement-breakpoint
DROP INDEX "events_live_ts_idx";