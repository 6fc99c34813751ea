import { FulfillmentError } from '../errors';

/** A stored snapshot written by another version of the machine: never guessed at, always refused. */
export class SagaMachineVersionError extends FulfillmentError {
  constructor(sagaName: string, stored: number, current: number) {
    super(
      'SAGA_MACHINE_VERSION_MISMATCH',
      `Saga "${sagaName}" snapshot was written by machine version ${stored}, this service runs version ${current}. ` +
        'Run the version that wrote it until its sagas finish, or add a migration for version ' +
        `${stored} snapshots.`,
    );
  }
}

export class SagaSnapshotError extends FulfillmentError {
  constructor(sagaName: string, problem: string) {
    super('SAGA_SNAPSHOT_INVALID', `Saga "${sagaName}" snapshot cannot be restored: ${problem}.`);
  }
}
