// The refusal shared by every store's migrate(): a binary older than its database must not start on it.

/**
 * Throws when the database lists a migration the binary does not bundle: its schema is newer than
 * this code, which would then read and write tables it does not understand.
 */
export function assertKnownMigrations(applied: Iterable<string>, bundled: readonly { tag: string }[]): void {
  const known = new Set(bundled.map((m) => m.tag));
  for (const tag of applied) {
    if (!known.has(tag)) throw new Error(`database schema is newer than this parley binary (unknown migration ${tag}); upgrade the binary`);
  }
}
