CREATE TABLE "blocks" (
	"user_id" text NOT NULL,
	"blocked_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "blocks_user_id_blocked_id_pk" PRIMARY KEY("user_id","blocked_id")
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "delivered_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "events_thread_idx" ON "events" USING btree ("room_id",(("data"::jsonb ->> 'threadRoot')::bigint),"seq") WHERE "events"."data" LIKE '%"threadRoot":%';