CREATE TABLE `bans` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`banned_by` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `mentions` (
	`user_id` text NOT NULL,
	`room_id` text NOT NULL,
	`seq` integer NOT NULL,
	PRIMARY KEY(`user_id`, `room_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `push_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`endpoint` text NOT NULL,
	`p256dh` text NOT NULL,
	`auth` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `push_subscriptions_endpoint_unique` ON `push_subscriptions` (`endpoint`);--> statement-breakpoint
CREATE INDEX `push_user_idx` ON `push_subscriptions` (`user_id`);--> statement-breakpoint
CREATE TABLE `reactions` (
	`room_id` text NOT NULL,
	`msg_seq` integer NOT NULL,
	`emoji` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`room_id`, `msg_seq`, `emoji`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`uploader_id` text NOT NULL,
	`filename` text NOT NULL,
	`mime` text NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL,
	`msg_seq` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `uploads_room_idx` ON `uploads` (`room_id`,`msg_seq`);--> statement-breakpoint
ALTER TABLE `members` ADD `silenced_until` integer;--> statement-breakpoint
ALTER TABLE `members` ADD `notifications_muted` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `rooms` ADD `slow_mode_sec` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `last_seen` integer;