CREATE TABLE "mail_prefs" (
	"user_id" text PRIMARY KEY NOT NULL,
	"email" text,
	"pending_email" text,
	"confirm_hash" text,
	"confirm_expires_at" bigint,
	"unsubscribe_hash" text NOT NULL,
	"unsubscribed" boolean DEFAULT false NOT NULL,
	"last_mailed_at" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "rooms" ADD COLUMN "message_ttl_sec" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "mail_prefs_confirm_idx" ON "mail_prefs" USING btree ("confirm_hash");--> statement-breakpoint
CREATE INDEX "mail_prefs_unsubscribe_idx" ON "mail_prefs" USING btree ("unsubscribe_hash");