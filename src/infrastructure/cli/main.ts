import { Command, Option } from 'commander';
import { buildService, type Service } from '../app/buildService';
import { loadConfig, type Config } from '../config/config';
import { databaseLocations, migrateAll } from '../database/databases';
import { checkSagaPartitions } from '../database/sagaPartitionsSetting';
import { seedCatalog } from '../participants/builtin/demoCatalog';
import { rebuildableProjections, rebuildSagasProjection } from '../readModel/projectionRebuild';
import { formatPartitionTable, partitionTable } from './partitionTable';
import { rebuildProgressBar } from './rebuildProgressBar';
import { startReactorRole, startWorkerRole } from '../app/sagaRoles';
import { startSagaThread } from '../app/sagaThread';
import { standaloneOpenApiDocument } from '../http/standaloneOpenApi';
import { sagaCommands } from './sagaCommands';

/**
 * `fulfillment <command>` (SPEC §7): one binary, one subcommand per role or chore. Long-running
 * roles stop cleanly on SIGINT/SIGTERM.
 */
export function createCli(): Command {
  const program = new Command('fulfillment').description('Order fulfillment saga service').showHelpAfterError();

  program
    .command('migrate')
    .description('apply the database migrations (event store and service tables)')
    .action(async () => {
      const config = loadConfig();
      await migrateAll(databaseLocations(config.databaseUrl));
      console.log(`migrated ${config.databaseUrl}`);
    });

  program
    .command('seed')
    .description('load the demo catalog and its stock')
    .action(() =>
      withService(async (service) => {
        const items = await seedCatalog(service.participants.catalog);
        console.log(`seeded ${items.length} catalog items`);
      }),
    );

  program
    .command('serve')
    .description('the HTTP API only')
    .action(async () => void (await runRole(async (service) => void (await service.serve()))));

  program
    .command('project')
    .description('follow the event store into the read models')
    .action(async () => void (await runRole(async (service) => void service.startProjection())));

  program
    .command('reactor')
    .description('the saga reactor: follow the event store, advance each saga, enqueue its jobs')
    .action(async () => void (await runRole(async (service) => void startReactorRole(service))));

  program
    .command('worker')
    .description('run the saga jobs (steps, each try under its deadline, and compensations) against the participants')
    .action(async () => void (await runRole(async (service) => void (await startWorkerRole(service)))));

  program
    .command('start')
    .description('every role in one process: projection, saga reactor, workers, HTTP API (what `npm start` runs)')
    .action(async () => void (await runRole(startEveryRole)));

  program
    .command('openapi')
    .description('print the /openapi.json this service serves, without starting it (for linters and client generators)')
    .action(() => {
      console.log(JSON.stringify(standaloneOpenApiDocument(loadConfig()), null, 2));
    });

  program.addCommand(sagaCommands());

  const projections = program.command('projections').description('read model maintenance');
  projections
    .command('rebuild')
    .description('replay the event store into a fresh copy of a read model and swap it in')
    .addOption(
      new Option('--projection <name>', 'the projection to rebuild')
        .choices([...rebuildableProjections])
        .default(rebuildableProjections[0]),
    )
    .option('--batch-size <n>', 'events per batch', (text) => Number.parseInt(text, 10), 2000)
    .action((options: { projection: string; batchSize: number }) =>
      withService(async (service) => {
        const bar = rebuildProgressBar(options.projection);
        const started = Date.now();
        const result = await rebuildSagasProjection({
          serviceDb: service.serviceDb,
          eventStore: service.eventStore,
          headPosition: service.headPosition,
          batchSize: options.batchSize,
          onProgress: (progress) => bar.update(progress),
        }).finally(() => bar.stop());
        const seconds = (Date.now() - started) / 1000;
        console.log(
          `rebuilt ${options.projection}${result.resumedFrom ? ` (resumed from position ${result.resumedFrom})` : ''}: ` +
            `${result.eventsApplied} events in ${seconds.toFixed(1)}s, at position ${result.position}`,
        );
      }),
    );

  program
    .command('partitions')
    .description('which copy of the reactor and of the projection holds which saga partition, and its lag')
    .option('--json', 'print JSON rather than a table')
    .action((options: { json?: boolean }) =>
      withService(async (service) => {
        const rows = await partitionTable(service);
        console.log(options.json ? JSON.stringify(rows, null, 2) : formatPartitionTable(rows));
      }),
    );

  return program;
}

/**
 * Every role in one process, on both cores: the HTTP API on the main thread, the projection, the
 * reactor and the workers in the saga thread (sagaThread.ts). The HTTP API starts last, so it
 * closes first on shutdown (closers run last in, first out): no new requests, then the saga thread.
 */
export async function startEveryRole(service: Service): Promise<void> {
  await startSagaThread(service, (reason) => {
    service.logger.error({}, `${reason}; exiting so that the service is restarted whole`);
    process.exit(1);
  });
  await service.serve();
}

/** Builds the service for a one-shot command and always closes it. */
async function withService(work: (service: Service) => Promise<void>, config: Config = loadConfig()): Promise<void> {
  await migrateAll(databaseLocations(config.databaseUrl));
  const service = buildService(config);
  try {
    await work(service);
  } finally {
    await service.close();
  }
}

/**
 * Starts a long-running role and closes the service on the first SIGINT/SIGTERM. The signals are
 * taken from the very start: one that comes while the role still migrates or starts ends the
 * process cleanly (exit 0) too, rather than by the signal's default.
 */
export async function runRole(
  start: (service: Service) => Promise<void>,
  config: Config = loadConfig(),
): Promise<Service> {
  const role: { service?: Service; stopping?: boolean } = {};
  const shutdown = (signal: string) => {
    role.stopping = true;
    if (!role.service) return; // still migrating: the migration is left to finish, then the process ends
    role.service.logger.info({ signal }, 'shutting down');
    role.service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await migrateAll(databaseLocations(config.databaseUrl));
  if (role.stopping) process.exit(0);
  const service = (role.service = buildService(config));
  await checkSagaPartitions(service.serviceDb, config.partitions.count).catch(async (error: unknown) => {
    await service.close();
    throw error;
  });
  try {
    await start(service);
  } catch (error) {
    await service.close();
    throw error;
  }
  return service;
}

/** Runs the command line; a failure prints its message (it names what to fix) and exits 1. */
export function runCli(argv: readonly string[] = process.argv): void {
  createCli()
    .parseAsync([...argv])
    .catch((error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    });
}

if (require.main === module) runCli();
