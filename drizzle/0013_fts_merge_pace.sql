-- FTS5 merge settings for the search index (docs/benchmarks.md, "Search indexing stalls"). With
-- automerge=16 a level's 16th segment met crisismerge (default 16): all 16 merged at once inside one
-- indexing pass, up to 0.45 s in a pass of 500 rows, a stall for every send queued behind it. With
-- automerge=8 the merges start at 8 segments and go on a little with every pass; crisismerge=64 keeps
-- the all-at-once merge for a backlog nothing else could keep up with. Same cost per row in passes of
-- 500 (10.4 vs 10.9 µs), longest pass 24 ms instead of 447 (300,000 rows).
INSERT INTO `events_fts`(`events_fts`, `rank`) VALUES ('automerge', 8);
--> statement-breakpoint
INSERT INTO `events_fts`(`events_fts`, `rank`) VALUES ('crisismerge', 64);
