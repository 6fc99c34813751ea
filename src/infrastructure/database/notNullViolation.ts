/** True when a statement put NULL into a NOT NULL column: MariaDB/MySQL or SQLite (by code, see uniqueViolation.ts). */
export function isNotNullViolation(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  return code === 'ER_BAD_NULL_ERROR' || errno === 1048 || code === 'SQLITE_CONSTRAINT_NOTNULL';
}
