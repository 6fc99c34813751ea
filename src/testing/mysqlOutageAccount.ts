import { createConnection } from 'mysql2/promise';
import { testMysqlServerUrl, type TestDatabase } from './testServices';

/**
 * A MariaDB account of a test's own, with every right on the test's database, that the test can
 * take away the way a restart of MariaDB looks to the service using it: its connections drop and
 * new ones are refused (the account locked), then it is back. Only this account is affected, so
 * the other tests sharing the server run on undisturbed.
 */
export type MysqlOutageAccount = Readonly<{
  /** The test database's URL, signed in as this account: give it to the service. */
  url: string;
  /** Locks the account and kills its connections. */
  goAway(): Promise<void>;
  comeBack(): Promise<void>;
  /** Away for `ms`, then back. */
  outage(ms: number): Promise<void>;
  drop(): Promise<void>;
}>;

export async function createMysqlOutageAccount(database: TestDatabase, label: string): Promise<MysqlOutageAccount> {
  const user = `${label}${process.pid}${Date.now() % 100_000}`;
  const hosts = ['%', 'localhost'] as const;
  const forEachHost = (statement: (account: string) => string) =>
    asRoot(hosts.map((host) => statement(`'${user}'@'${host}'`)));
  const name = new URL(database.url).pathname.slice(1);
  await forEachHost((account) => `CREATE USER ${account} IDENTIFIED BY 'pw'`);
  await forEachHost((account) => `GRANT ALL ON \`${name}\`.* TO ${account}`);
  const url = new URL(database.url);
  url.username = user;
  url.password = 'pw';

  const goAway = async () => {
    await forEachHost((account) => `ALTER USER ${account} ACCOUNT LOCK`);
    const connection = await createConnection({ uri: testMysqlServerUrl });
    try {
      const [rows] = await connection.query('SELECT id FROM information_schema.processlist WHERE user = ?', [user]);
      for (const { id } of rows as { id: number }[]) await connection.query('KILL ?', [id]).catch(() => undefined);
    } finally {
      await connection.end();
    }
  };
  const comeBack = () => forEachHost((account) => `ALTER USER ${account} ACCOUNT UNLOCK`);
  return {
    url: url.toString(),
    goAway,
    comeBack,
    async outage(ms) {
      await goAway();
      await new Promise((resolve) => setTimeout(resolve, ms));
      await comeBack();
    },
    drop: () => forEachHost((account) => `DROP USER IF EXISTS ${account}`),
  };
}

async function asRoot(statements: readonly string[]): Promise<void> {
  const connection = await createConnection({ uri: testMysqlServerUrl });
  try {
    for (const statement of statements) await connection.query(statement);
  } finally {
    await connection.end();
  }
}
