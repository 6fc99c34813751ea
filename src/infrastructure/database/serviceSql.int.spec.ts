import { createConnection } from 'mysql2/promise';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../testing/testServices';
import { inList, serviceSqlOf, type ServiceSql } from './serviceSql';

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('the prepared-statement layer on %s', (kind) => {
  let database: TestDatabase;
  let sql: ServiceSql;
  const insert = (id: string, count: number) => ({
    sql: 'INSERT INTO notes (id, count) VALUES (?, ?)',
    params: [id, count],
  });
  const countOf = async (id: string) =>
    (
      (await sql.run({ sql: 'SELECT count FROM notes WHERE id = ?', params: [id] })).rows[0] as
        { count: number } | undefined
    )?.count;

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: [] });
    await database.db.schema.createTable('notes', (table) => {
      table.string('id', 32).primary();
      table.integer('count').notNullable();
      table.datetime('at', { precision: 3 }).nullable();
      table.boolean('flag').nullable();
    });
    sql = serviceSqlOf(database.db);
  });
  afterAll(() => database.drop());

  it('is one per knex client', () => {
    expect(serviceSqlOf(database.db)).toBe(sql);
  });

  it('runs a statement on its own: rows of a SELECT, changes of a write', async () => {
    expect(await sql.run(insert('a', 1))).toEqual({ rows: [], changes: 1 });
    expect(await sql.run({ sql: 'UPDATE notes SET count = count + 1 WHERE id = ?', params: ['a'] })).toEqual({
      rows: [],
      changes: 1,
    });
    expect((await sql.run({ sql: 'SELECT id, count FROM notes WHERE id = ?', params: ['a'] })).rows).toEqual([
      { id: 'a', count: 2 },
    ]);
  });

  it('stores dates and booleans as knex does, so either can read what the other wrote', async () => {
    const at = new Date('2024-05-01T10:00:00.123Z');
    await sql.run({
      sql: 'INSERT INTO notes (id, count, at, flag) VALUES (?, ?, ?, ?)',
      params: ['dated', 0, at, true],
    });
    await database.db('notes').insert({ id: 'dated-by-knex', count: 0, at, flag: true });
    const rows = await database
      .db('notes')
      .whereIn('id', ['dated', 'dated-by-knex'])
      .orderBy('id')
      .select('at', 'flag');
    expect(rows[0]).toEqual(rows[1]);
  });

  it('commits a transaction and answers each statement', async () => {
    expect(await sql.transaction([insert('t1', 1), insert('t2', 2)])).toEqual([
      { rows: [], changes: 1 },
      { rows: [], changes: 1 },
    ]);
    expect([await countOf('t1'), await countOf('t2')]).toEqual([1, 2]);
  });

  it('rolls back everything when a statement fails, and the connection stays usable', async () => {
    await expect(sql.transaction([insert('f1', 1), insert('t1', 5)])).rejects.toMatchObject({
      code: expect.stringMatching(/DUP_ENTRY|CONSTRAINT/),
    });
    expect(await countOf('f1')).toBeUndefined();
    await Promise.all(Array.from({ length: 20 }, (_, i) => sql.transaction([insert(`after-${i}`, i)])));
    expect(await countOf('after-19')).toBe(19);
  });

  it('writes asked for at once each succeed or fail on their own', async () => {
    await sql.run(insert('g0', 0));
    const [good, failed, single] = await Promise.allSettled([
      sql.transaction([insert('g1', 1), insert('g2', 2)]),
      sql.transaction([insert('g3', 3), insert('g0', 9)]),
      sql.run(insert('g5', 5)),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(failed).toMatchObject({
      status: 'rejected',
      reason: { code: expect.stringMatching(/DUP_ENTRY|CONSTRAINT/) },
    });
    expect(single).toMatchObject({ status: 'fulfilled', value: { changes: 1 } });
    const counts = await Promise.all(['g1', 'g2', 'g3', 'g5'].map(countOf));
    expect(counts).toEqual([1, 2, undefined, 5]);
  });

  it('runs work holding a named lock, on one session', async () => {
    const answer = await sql.withNamedLock('notes-lock', 5, async (session) => {
      await session.transaction([insert('locked', 7)]);
      return (await session.run({ sql: 'SELECT count FROM notes WHERE id = ?', params: ['locked'] })).rows;
    });
    expect(answer).toEqual([{ count: 7 }]);
  });

  it('pads IN lists to a power of two', async () => {
    const { placeholders, params } = inList(['a', 't1', 't2']);
    expect(params).toEqual(['a', 't1', 't2', 't2']);
    const { rows } = await sql.run({ sql: `SELECT id FROM notes WHERE id IN (${placeholders}) ORDER BY id`, params });
    expect(rows).toEqual([{ id: 'a' }, { id: 't1' }, { id: 't2' }]);
  });
});

describe('the named lock on MariaDB', () => {
  let database: TestDatabase;
  let sql: ServiceSql;
  const isFree = async (name: string) =>
    Number((await sql.run({ sql: 'SELECT IS_FREE_LOCK(?) AS free', params: [name] })).rows[0]!.free);

  beforeAll(async () => {
    database = await createTestDatabase('mysql', { migrate: [] });
    await database.db.schema.createTable('notes', (table) => {
      table.string('id', 32).primary();
    });
    sql = serviceSqlOf(database.db);
  });
  afterAll(() => database.drop());

  it('is held from the first statement to the commit of the transaction, with no round trip of its own', async () => {
    await sql.withNamedLock('lock-a', 5, async (session) => {
      expect(await isFree('lock-a')).toBe(1);
      await session.run({ sql: 'SELECT id FROM notes', params: [] });
      expect(await isFree('lock-a')).toBe(0);
      await session.transaction([{ sql: 'INSERT INTO notes (id) VALUES (?)', params: ['a'] }]);
      expect(await isFree('lock-a')).toBe(1);
    });
  });

  it('is taken before a write that comes first, and let go when the work fails', async () => {
    await expect(
      sql.withNamedLock('lock-b', 5, async (session) => {
        await session.run({ sql: 'INSERT INTO notes (id) VALUES (?)', params: ['b'] });
        expect(await isFree('lock-b')).toBe(0);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await isFree('lock-b')).toBe(1);
  });

  it('refuses to go on while someone else holds it', async () => {
    const other = await createConnection(database.url);
    try {
      await other.query('SELECT GET_LOCK(?, 0)', ['lock-c']);
      await expect(
        sql.withNamedLock('lock-c', 0, (session) => session.run({ sql: 'SELECT id FROM notes', params: [] })),
      ).rejects.toThrow(/lock-c not acquired/);
      await expect(
        sql.withNamedLock('lock-c', 0, (session) =>
          session.transaction([{ sql: 'INSERT INTO notes (id) VALUES (?)', params: ['c'] }]),
        ),
      ).rejects.toThrow(/lock-c not acquired/);
      expect((await sql.run({ sql: 'SELECT id FROM notes WHERE id = ?', params: ['c'] })).rows).toEqual([]);
    } finally {
      await other.end();
    }
  });
});
