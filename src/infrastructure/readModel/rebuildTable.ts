import type { Knex } from 'knex';
import { isMysql } from './knexProjectionStorage';

/**
 * The scratch table a rebuild writes into: the live table's exact structure under another name,
 * copied from the live table itself so that it follows every migration.
 */
export async function createTableLike(db: Knex, live: string, copy: string): Promise<void> {
  await db.schema.dropTableIfExists(copy);
  if (isMysql(db)) {
    await db.raw('CREATE TABLE ?? LIKE ??', [copy, live]);
    return;
  }
  const objects = (await db('sqlite_master')
    .select('type', 'sql')
    .where({ tbl_name: live })
    .whereNotNull('sql')
    .orderByRaw("type = 'table' DESC")) as { type: string; sql: string }[];
  // Index names are global in SQLite: the copy's indexes get the copy's name as their prefix.
  const rename = (sql: string) => sql.split(live).join(copy);
  for (const object of objects) await db.raw(rename(object.sql));
}

export async function tableExists(db: Knex, table: string): Promise<boolean> {
  return db.schema.hasTable(table);
}
