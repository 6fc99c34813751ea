import { FulfillmentError } from '../../domain/errors';
import { streamName, type OrderCreated, type SagaStateChanged } from '../../domain/events';
import {
  currentStepOf,
  replaySaga,
  SagaHistoryError,
  type HandledInput,
  type SagaDefinition,
  type SagaHistory,
  type SagaInput,
  type SagaJobName,
  type SagaSnapshot,
  type SagaState,
} from '../../domain/saga';
import { orderIdOf } from '../commands/orderIds';
import type { EventStore, RecordedEvent } from '../ports/eventStore';
import type { StepRequest } from '../ports/participants';
import { readSagaEvents } from '../queries/sagaEvents';
import { routeToSaga, sagaLifecycleTypes } from './sagaRouting';

/**
 * A saga as its streams tell it, brought back the one way the reactor and the commands both use:
 * its start (or its last kept snapshot) and then every input it reacted to, replayed through the
 * machine at the instant it was decided (domain/saga/sagaHistory.ts). The saga stream says which
 * inputs those were: each lifecycle event names the input that caused it.
 */
export type LoadedSaga = Readonly<{
  sagaId: string;
  orderId: string;
  /** The order as the customer placed it: what every step works from. */
  order: StepRequest;
  orderRevision: number;
  /** Undefined until the reactor has started the saga. */
  saga: SagaSnapshot | undefined;
  /** The saga stream's revision: what the next append to it expects. */
  revision: number | 'no_stream';
  /** Every input event the saga has reacted to. */
  handledInputs: ReadonlySet<string>;
  /** Inputs on the saga's streams it has not reacted to yet (say an operator's retry), in global order. */
  unhandledInputs: readonly RecordedEvent[];
  /** Inputs replayed since the start or the last kept snapshot. */
  inputsSinceSnapshot: number;
  /**
   * When the saga last reacted to an input (its newest lifecycle event), as its streams tell it.
   * Set by `loadSaga` only: the reactor's copies in memory do not keep it up to date.
   */
  lastReactionAt?: string;
}>;

export type LoadOptions = Readonly<{
  /** The saga as it was just before it reacted to this input (to decide it again, identically). */
  before?: string;
}>;

/** Undefined for a saga id no order was placed with. */
export async function loadSaga(
  eventStore: EventStore,
  definition: SagaDefinition,
  sagaId: string,
  options: LoadOptions = {},
): Promise<LoadedSaga | undefined> {
  const orderId = orderIdOf(sagaId);
  const events = await readSagaEvents(eventStore, sagaId, orderId);
  const created = events[0];
  if (created?.type !== 'OrderCreated' || created.data.sagaId !== sagaId) return undefined;
  const sagaStream = events.filter((event) => event.stream === streamName.saga(sagaId));
  const history = naming(sagaId, () => historyOf(definition, events, options.before));
  const saga = history && naming(sagaId, () => replaySaga(definition, history));
  const lifecycle = events.filter(isLifecycle);
  const handledInputs = new Set(lifecycle.map((event) => event.metadata.causationId));
  return {
    sagaId,
    orderId,
    order: requestOf(created as RecordedEvent<OrderCreated>),
    orderRevision: events.filter((event) => event.stream === created.stream).at(-1)!.revision,
    saga,
    revision: sagaStream.at(-1)?.revision ?? 'no_stream',
    handledInputs,
    unhandledInputs: events.filter(
      (event) => routeToSaga(event)?.kind === 'advance' && !handledInputs.has(event.metadata.eventId),
    ),
    inputsSinceSnapshot: history?.inputs.length ?? 0,
    lastReactionAt: lifecycle.at(-1)?.metadata.occurredAt,
  };
}

const isLifecycle = (event: RecordedEvent) => sagaLifecycleTypes.has(event.type);

/** A saga that cannot be restored says which one, to the reactor's log and to a command's caller. */
function naming<T>(sagaId: string, restore: () => T): T {
  try {
    return restore();
  } catch (error) {
    if (!(error instanceof FulfillmentError) || error.saga) throw error;
    throw new FulfillmentError(error.code, `saga ${sagaId} cannot be restored: ${error.message}`, error.details, {
      sagaId,
    });
  }
}

/** Where a loaded saga stands; one the reactor has not started yet stands where every saga starts. */
export function standingOf(
  definition: SagaDefinition,
  { sagaId, saga }: LoadedSaga,
): Readonly<{ sagaId: string; state: SagaState; step: SagaJobName | null }> {
  if (!saga) return { sagaId, state: definition.steps[0].state, step: definition.steps[0].name };
  return { sagaId, state: saga.value as SagaState, step: currentStepOf(saga.context) };
}

export function requestOf({ data }: RecordedEvent<OrderCreated>): StepRequest {
  const { sagaId, orderId, patientId, prescriberId, medications, shippingAddress } = data;
  return { sagaId, orderId, patientId, prescriberId, medications, shippingAddress };
}

/**
 * The saga's history from its events in global order: lifecycle events come in runs, one run per
 * input reacted to (the run's causation), each with one SagaStateChanged. Undefined before the
 * saga has started (or, with `before`, when that input was the start).
 */
function historyOf(
  definition: SagaDefinition,
  events: readonly RecordedEvent[],
  before: string | undefined,
): SagaHistory | undefined {
  const byId = new Map(events.map((event) => [event.metadata.eventId, event]));
  let from: SagaHistory['from'] | undefined;
  let inputs: HandledInput[] = [];
  for (const changed of events) {
    if (changed.type !== 'SagaStateChanged') continue;
    const cause = changed.metadata.causationId;
    if (cause === before) break;
    const { data, metadata } = changed as RecordedEvent<SagaStateChanged>;
    const at = new Date(metadata.occurredAt);
    if (data.snapshot !== undefined && data.machineVersion !== undefined) {
      from = { snapshot: { machineVersion: data.machineVersion, snapshot: data.snapshot } };
      inputs = [];
    } else if (byId.get(cause)?.type === 'OrderCreated') {
      const started = events.find((event) => event.type === 'SagaStarted' && event.metadata.causationId === cause);
      const machineVersion = started?.type === 'SagaStarted' ? started.data.machineVersion : 0;
      from = { start: { sagaId: data.sagaId, orderId: data.orderId, machineVersion, at } };
      inputs = [];
    } else {
      const input = byId.get(cause);
      if (!input || !from) {
        throw new SagaHistoryError(definition.name, `it reacted to event ${cause}, which none of its streams holds`);
      }
      inputs.push({ input: { type: input.type, data: input.data } as SagaInput, at, ledTo: data.to });
    }
  }
  return from && { from, inputs };
}
