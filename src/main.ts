import { runRole, startEveryRole } from './infrastructure/cli/main';

/**
 * `npm start`: the whole service in one process on the embedded default (SQLite, in-process
 * queue), migrated on start: HTTP API, sagas projection, saga reactor and workers.
 */
runRole(startEveryRole).catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
