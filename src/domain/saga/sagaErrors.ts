import { FulfillmentError } from '../errors';

/** A stored saga of a machine version this service does not run: never guessed at, always refused. */
export class SagaMachineVersionError extends FulfillmentError {
  constructor(sagaName: string, stored: number, runs: readonly number[]) {
    super(
      'SAGA_MACHINE_VERSION_MISMATCH',
      `Saga "${sagaName}" was started by machine version ${stored}, this service runs version${runs.length === 1 ? '' : 's'} ` +
        `${runs.join(', ')}. Run a version that runs it until its sagas finish, or add the rules of version ${stored} ` +
        "to the definition's versions.",
    );
  }
}

export class SagaSnapshotError extends FulfillmentError {
  constructor(sagaName: string, problem: string) {
    super('SAGA_SNAPSHOT_INVALID', `Saga "${sagaName}" snapshot cannot be restored: ${problem}.`);
  }
}

/** The stored history does not replay to what was recorded: the machine changed without a version bump. */
export class SagaHistoryError extends FulfillmentError {
  constructor(sagaName: string, problem: string) {
    super(
      'SAGA_HISTORY_INVALID',
      `Saga "${sagaName}" history cannot be replayed: ${problem}. Bump the machine version when its decisions change.`,
    );
  }
}
