CREATE TABLE `expiry_marks` (
	`room_id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `events_live_ts_idx`;