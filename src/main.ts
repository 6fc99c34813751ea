import { runRole } from './infrastructure/cli/main';

/**
 * `npm start`: the whole service in one process on the embedded default (SQLite, in-process
 * queue), migrated on start. For now the HTTP API and the projection; the saga reactor and the
 * workers join here as they are built.
 */
runRole(async (service) => {
  service.startProjection();
  await service.serve();
}).catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
