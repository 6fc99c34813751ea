/**
 * True when an insert hit a primary key or unique index: MariaDB/MySQL or SQLite. Recognised by
 * the driver's error code, not by `instanceof`: better-sqlite3's native addon keeps the error class
 * of the first module instance that loaded it, so where modules load more than once in a process
 * (jest's per-file registries) a class check fails.
 */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return (
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}
