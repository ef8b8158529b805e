CREATE TABLE `blocks` (
	`user_id` text NOT NULL,
	`blocked_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `blocked_id`)
);
--> statement-breakpoint
ALTER TABLE `members` ADD `delivered_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `events_thread_idx` ON `events` (`room_id`,json_extract("data", '$.threadRoot'),`seq`) WHERE "events"."data" LIKE '%"threadRoot":%';