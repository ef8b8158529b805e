-- idempotency_keys is looked up and inserted on every send: WITHOUT ROWID makes its primary key
-- the table itself (one B-tree write per key instead of two).
CREATE TABLE `idempotency_keys_new` (
	`sender_id` text NOT NULL,
	`client_msg_id` text NOT NULL,
	`room_id` text NOT NULL,
	`seq` integer NOT NULL,
	PRIMARY KEY(`sender_id`, `client_msg_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `idempotency_keys_new` SELECT `sender_id`, `client_msg_id`, `room_id`, `seq` FROM `idempotency_keys`;
--> statement-breakpoint
DROP TABLE `idempotency_keys`;
--> statement-breakpoint
ALTER TABLE `idempotency_keys_new` RENAME TO `idempotency_keys`;
