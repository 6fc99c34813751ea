import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreMigrations } from '../migrations/eventStore';
import { serviceMigrations } from '../migrations/service';
import { freePort } from '../src/testing/freePort';
import {
  createMysqlTestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
  type TestDatabase,
} from '../src/testing/testServices';
import { buildIntoTemporaryFolder, runBuiltCommand, type CompiledBuild } from './support/compiledBuild';
import { postUntilAccepted } from './support/orderClient';
import { waitFor } from './support/sagaHarness';
import { kill, startProcess, waitReady, type Role, type ServiceProcess } from './support/serviceProcesses';

/**
 * Production runs compiled JavaScript (docs/operations.md, "Running the build"): `npm run build`'s
 * compilation of the current sources runs every role with plain node, with the production
 * dependencies only and no TypeScript loader within reach (compiledBuild.ts leaves tsx out). On SQLite, `npm start`'s equivalent (both
 * threads) fulfils an order placed over HTTP; on MariaDB + BullMQ, `migrate` sets up an empty
 * database, then the roles apart — serve, reactor, project, worker — fulfil one and the read model
 * shows it.
 */
jest.setTimeout(300_000);

const tokens = { client: 'compiled-client-token-0123456789', operator: 'compiled-operator-token-0123456789' };
const order = JSON.stringify({
  patientId: 'p-compiled',
  medications: [{ sku: 'AMOX-500-CAP', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

let build: CompiledBuild;
let dataDir: string;
const running: ServiceProcess[] = [];

beforeAll(() => {
  build = buildIntoTemporaryFolder();
  dataDir = mkdtempSync(join(tmpdir(), 'compiled-e2e-'));
});

afterAll(async () => {
  await Promise.all(running.map((service) => kill(service, 'SIGKILL')));
  build?.remove();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the roles from the build, waits until each says it runs and the API is ready. */
async function startRoles(roles: readonly Role[], env: Record<string, string>): Promise<ServiceProcess[]> {
  const processes = roles.map((role) => startProcess(role, env, { build: build.folder }));
  running.push(...processes);
  await Promise.all(processes.map((service) => service.started));
  await waitReady(`http://127.0.0.1:${env.PORT}`);
  return processes;
}

async function sagaStateOverHttp(baseUrl: string, sagaId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/sagas/${sagaId}`, { headers: { authorization: `Bearer ${tokens.client}` } });
  return ((await response.json()) as { state: string }).state;
}

it('leaves no TypeScript loader, and no devDependency, within reach of the build', () => {
  const resolvable = (name: string) =>
    spawnSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(name)})`], { cwd: build.folder }).status === 0;
  expect({ knex: resolvable('knex'), tsx: resolvable('tsx'), typescript: resolvable('typescript') }).toEqual({
    knex: true,
    tsx: false,
    typescript: false,
  });
});

it("runs npm start's equivalent on SQLite with plain node: an order placed over HTTP completes", async () => {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'fulfillment.sqlite')}`,
    API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
  };
  const seed = runBuiltCommand(build, ['seed'], env);
  expect(seed).toEqual({ status: 0, output: expect.stringMatching(/seeded \d+ catalog items/) });

  const processes = await startRoles(['start'], env);
  const { sagaId } = await postUntilAccepted(baseUrl, tokens.client, order);
  await waitFor('the order to complete', async () =>
    (await sagaStateOverHttp(baseUrl, sagaId)) === 'COMPLETED' ? true : undefined,
  );

  const statuses = await Promise.all(processes.map((service) => kill(service, 'SIGTERM')));
  expect(statuses).toEqual([{ code: 0, signal: null }]);
});

describe('on MariaDB + BullMQ', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createMysqlTestDatabase({ migrate: [] });
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('migrates an empty database with the built migrate command', async () => {
    const migrate = runBuiltCommand(build, ['migrate'], { DATABASE_URL: database.url });
    expect(migrate).toEqual({ status: 0, output: expect.stringContaining(`migrated ${database.url}`) });

    const applied = async (table: string) => (await database.db(table).pluck('name')).sort();
    expect(await applied('knex_migrations')).toEqual(serviceMigrations.map((migration) => migration.name).sort());
    expect(await applied('knex_migrations_event_store')).toEqual(
      eventStoreMigrations.map((migration) => migration.name).sort(),
    );
  });

  it('runs the roles apart with plain node: an order placed over HTTP completes in the read model', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      QUEUE_PREFIX: uniqueRedisPrefix('compiled'),
      API_TOKENS: `client:${tokens.client},operator:${tokens.operator}`,
    };
    const seed = runBuiltCommand(build, ['seed'], env);
    expect(seed).toEqual({ status: 0, output: expect.stringMatching(/seeded \d+ catalog items/) });

    const processes = await startRoles(['serve', 'reactor', 'project', 'worker'], env);
    const { sagaId } = await postUntilAccepted(`http://127.0.0.1:${port}`, tokens.client, order);
    await waitFor('the read model to show the saga completed', async () => {
      const row = await database.db('order_fulfillment_sagas').where({ saga_uuid: sagaId }).first();
      return row?.state === 'COMPLETED' ? true : undefined;
    });

    const statuses = await Promise.all(processes.map((service) => kill(service, 'SIGTERM')));
    expect(statuses).toEqual(processes.map(() => ({ code: 0, signal: null })));
  });
});
