import type { Migration } from '../migration';

/**
 * The service's own tables: participants, read models with their projection checkpoints, HTTP
 * idempotency keys. Add new migrations at the end; never edit or reorder one that has shipped.
 */
export const serviceMigrations: readonly Migration[] = [];
