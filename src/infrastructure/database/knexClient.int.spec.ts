import Database from 'better-sqlite3';
import { createSqliteTestDatabase, type TestDatabase } from '../../testing/testServices';
import { sqliteFilename } from './knexClient';

describe('knex on SQLite', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createSqliteTestDatabase();
    await database.db.schema.createTable('notes', (table) => {
      table.string('id').primary();
      table.integer('count').notNullable();
    });
  });
  afterEach(() => database.drop());

  it('reuses prepared statements without mixing up their values, also across a schema change', async () => {
    const { db } = database;
    for (let index = 0; index < 20; index++) await db('notes').insert({ id: `n-${index}`, count: index });
    for (let index = 0; index < 20; index++) {
      expect(
        await db('notes')
          .where({ id: `n-${index}` })
          .first(),
      ).toEqual({ id: `n-${index}`, count: index });
    }

    await db.schema.alterTable('notes', (table) => table.string('label').nullable());

    expect(await db('notes').where({ id: 'n-3' }).first()).toEqual({ id: 'n-3', count: 3, label: null });
  });

  it('takes the write lock when a transaction begins, so that its later writes never find it taken', async () => {
    const other = new Database(sqliteFilename(database.url));
    other.pragma('busy_timeout = 0');
    try {
      await database.db.transaction(async (trx) => {
        await trx('notes').select('id');
        expect(() => other.exec('BEGIN IMMEDIATE')).toThrow(/locked|busy/i);
      });
      other.exec('BEGIN IMMEDIATE');
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
  });
});
