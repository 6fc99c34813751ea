import type { Migration } from '../migration';
import { participantsMigration } from './001_participants';
import { readModelMigration } from './002_read_model';
import { idempotencyKeysMigration } from './003_idempotency_keys';
import { stoppedSagasMigration } from './004_stopped_sagas';
import { waitingSagasIndexMigration } from './005_waiting_sagas_index';
import { partitionLeasesMigration } from './006_partition_leases';
import { sagaChangesIndexesMigration } from './007_saga_changes_indexes';

/**
 * The service's own tables: participants, read models with their projection checkpoints, HTTP
 * idempotency keys, stopped sagas, the reconciler's index, saga partition leases, the console's indexes. Add new migrations at the end; never edit or reorder one that has shipped.
 */
export const serviceMigrations: readonly Migration[] = [
  participantsMigration,
  readModelMigration,
  idempotencyKeysMigration,
  stoppedSagasMigration,
  waitingSagasIndexMigration,
  partitionLeasesMigration,
  sagaChangesIndexesMigration,
];
