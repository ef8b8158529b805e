CREATE TABLE "bans" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"banned_by" text NOT NULL,
	"at" bigint NOT NULL,
	CONSTRAINT "bans_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"room_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"sender_id" text NOT NULL,
	"ts" bigint NOT NULL,
	"msg_id" text,
	"client_msg_id" text,
	"body" text,
	"reply_to" bigint,
	"data" text,
	"edited_at" bigint,
	"deleted_at" bigint,
	CONSTRAINT "events_room_id_seq_pk" PRIMARY KEY("room_id","seq")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"sender_id" text NOT NULL,
	"client_msg_id" text NOT NULL,
	"room_id" text NOT NULL,
	"seq" bigint NOT NULL,
	CONSTRAINT "idempotency_keys_sender_id_client_msg_id_pk" PRIMARY KEY("sender_id","client_msg_id")
);
--> statement-breakpoint
CREATE TABLE "members" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"read_seq" bigint DEFAULT 0 NOT NULL,
	"joined_at" bigint NOT NULL,
	"silenced_until" bigint,
	"notifications_muted" boolean DEFAULT false NOT NULL,
	CONSTRAINT "members_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "mentions" (
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	"seq" bigint NOT NULL,
	CONSTRAINT "mentions_user_id_room_id_seq_pk" PRIMARY KEY("user_id","room_id","seq")
);
--> statement-breakpoint
CREATE TABLE "push_subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"endpoint" text NOT NULL,
	"p256dh" text NOT NULL,
	"auth" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "push_subscriptions_endpoint_unique" UNIQUE("endpoint")
);
--> statement-breakpoint
CREATE TABLE "reactions" (
	"room_id" text NOT NULL,
	"msg_seq" bigint NOT NULL,
	"emoji" text NOT NULL,
	"user_id" text NOT NULL,
	CONSTRAINT "reactions_room_id_msg_seq_emoji_user_id_pk" PRIMARY KEY("room_id","msg_seq","emoji","user_id")
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"family_id" text NOT NULL,
	"user_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "rooms" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"topic" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"last_activity" bigint NOT NULL,
	"dm_key" text,
	"slow_mode_sec" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "rooms_dm_key_unique" UNIQUE("dm_key")
);
--> statement-breakpoint
CREATE TABLE "server_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "uploads" (
	"id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"uploader_id" text NOT NULL,
	"filename" text NOT NULL,
	"mime" text NOT NULL,
	"size" integer NOT NULL,
	"created_at" bigint NOT NULL,
	"msg_seq" bigint,
	"deleted_at" bigint
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"display_name" text NOT NULL,
	"password_hash" text NOT NULL,
	"is_admin" boolean DEFAULT false NOT NULL,
	"deactivated_at" bigint,
	"created_at" bigint NOT NULL,
	"last_seen" bigint,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE INDEX "members_user_idx" ON "members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "push_user_idx" ON "push_subscriptions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "refresh_family_idx" ON "refresh_tokens" USING btree ("family_id");--> statement-breakpoint
CREATE INDEX "uploads_room_idx" ON "uploads" USING btree ("room_id","msg_seq");