import { randomBytes, randomUUID } from 'node:crypto';
import { jsonEvent, type EventStoreDBClient, type JSONType } from '@eventstore/db-client';
import {
  describeEventStoreContract,
  type EventStoreHarnessFactory,
  type UndecodableKind,
} from '../eventStore.contract';
import { sampleSagaEvents } from '../testing/sampleEvents';
import { EsdbCheckpointStore } from './esdbCheckpointStore';
import { createEsdbEventStore, type EsdbEventStore } from './esdbEventStore';
import { knownPosition } from './esdbMapping';

/**
 * The shared event store contract against a real EventStoreDB, e.g.
 * `docker run -p 2113:2113 eventstore/eventstore:24.10 --insecure --run-projections=None`, then
 * `EVENTSTORE_CONNECTION_STRING=esdb://localhost:2113?tls=false npx jest src/infrastructure/eventStore/esdb`.
 *
 * Without a server the suite is registered as skipped and says so: it is NOT RUN, never passed.
 * EventStoreDB cannot drop a database, so the contract uses fresh stream names and reads $all from
 * a position taken just before its own appends; checkpoint streams get a per-run prefix.
 */
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

const factory: EventStoreHarnessFactory = async () => {
  const opened: EsdbEventStore[] = [];
  const open = () => {
    const store = createEsdbEventStore(connectionString!);
    opened.push(store);
    return { store, checkpoints: new EsdbCheckpointStore(store.client, { streamPrefix: `checkpoint-${runId}-` }) };
  };
  const first = open();
  return {
    ...first,
    cleanup: async () => {
      await Promise.all(opened.map((store) => store.close()));
    },
    storeUndecodableEvent: (stream, kind) => storeUndecodableEvent(first.store.client, stream, kind),
    reopen: async () => open(),
  };
};

/** Appends past our codec: metadata that is not JSON, or a type no catalog knows. */
async function storeUndecodableEvent(
  client: EventStoreDBClient,
  stream: string,
  kind: UndecodableKind,
): Promise<number> {
  const [valid] = sampleSagaEvents(1);
  const event = jsonEvent({
    id: randomUUID(),
    type: kind === 'unknown_type' ? 'OrderTeleported' : valid!.type,
    data: valid!.data as JSONType,
    metadata: kind === 'invalid_json' ? new TextEncoder().encode('{"eventId": not json') : valid!.metadata,
  });
  const result = await client.appendToStream(stream, event);
  const position = knownPosition(result.position);
  if (position === undefined)
    throw new Error(`EventStoreDB reported no position for the undecodable event in ${stream}`);
  return position;
}

if (connectionString) {
  describeEventStoreContract('EventStoreDB', factory);
} else {
  console.warn(
    'EventStoreDB contract suite NOT RUN: set EVENTSTORE_CONNECTION_STRING=esdb://localhost:2113?tls=false to run it',
  );
  describe.skip('EventStoreDB (NOT RUN: EVENTSTORE_CONNECTION_STRING is not set)', () => {
    describeEventStoreContract('EventStoreDB', factory);
  });
}
