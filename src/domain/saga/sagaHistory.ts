import type { SagaContext } from './sagaContext';
import { decide, startSaga } from './sagaDecider';
import type { SagaDefinition } from './sagaDefinition';
import { SagaHistoryError, SagaMachineVersionError, SagaSnapshotError } from './sagaErrors';
import type { SagaInput } from './sagaInput';
import { sagaMachineOf, type SagaSnapshot } from './sagaRuntime';
import { sagaStates, type SagaState } from './sagaVocabulary';

/**
 * How a saga is stored and brought back. The saga stream records facts (SagaStateChanged: from,
 * to, the stack), not the machine: a saga is its start and the inputs it reacted to, replayed
 * through the machine at the instants they were decided. A snapshot (value and context, with the
 * version of the machine that wrote it) is kept only now and then, to shorten a long replay; the
 * events written before version 2 of SagaStateChanged carry one each, and load from it.
 */
export type PersistedSaga = Readonly<{ machineVersion: number; snapshot: unknown }>;

export function persistSaga(definition: SagaDefinition, saga: SagaSnapshot): PersistedSaga {
  return { machineVersion: definition.machineVersion, snapshot: { value: saga.value, context: saga.context } };
}

/** Restores a stored snapshot; refuses another machine version and anything that is not a snapshot of this one. */
export function restoreSaga(definition: SagaDefinition, persisted: PersistedSaga): SagaSnapshot {
  if (persisted.machineVersion !== definition.machineVersion) {
    throw new SagaMachineVersionError(definition.name, persisted.machineVersion, definition.machineVersion);
  }
  const machine = sagaMachineOf(definition);
  const { value, context } = (persisted.snapshot ?? {}) as { value?: unknown; context?: unknown };
  if (typeof value !== 'string' || !(sagaStates as readonly string[]).includes(value) || !(value in machine.states)) {
    throw new SagaSnapshotError(definition.name, `"${String(value)}" is not a state of this machine`);
  }
  if (typeof context !== 'object' || context === null)
    throw new SagaSnapshotError(definition.name, 'it has no context');
  return machine.resolveState({ value, context: context as SagaContext });
}

/** An input the saga reacted to, when, and the state the stream says it led to. */
export type HandledInput = Readonly<{ input: SagaInput; at: Date; ledTo: SagaState }>;

export type SagaHistory = Readonly<{
  from:
    | Readonly<{ start: Readonly<{ sagaId: string; orderId: string; machineVersion: number; at: Date }> }>
    | Readonly<{ snapshot: PersistedSaga }>;
  /** Since the start or the snapshot, in the order reacted to. */
  inputs: readonly HandledInput[];
}>;

/**
 * The saga its history describes. Each replayed input must lead where the stream says it led: a
 * machine that decides differently (changed without a version bump) is refused, never guessed at.
 */
export function replaySaga(definition: SagaDefinition, history: SagaHistory): SagaSnapshot {
  let saga = 'snapshot' in history.from ? restoreSaga(definition, history.from.snapshot) : undefined;
  if (!saga && 'start' in history.from) {
    const { sagaId, orderId, machineVersion, at } = history.from.start;
    if (machineVersion !== definition.machineVersion) {
      throw new SagaMachineVersionError(definition.name, machineVersion, definition.machineVersion);
    }
    saga = startSaga(definition, { sagaId, orderId, now: at }).saga;
  }
  for (const { input, at, ledTo } of history.inputs) {
    const decision = decide(definition, saga!, input, { now: at });
    if (decision.state !== ledTo) {
      throw new SagaHistoryError(
        definition.name,
        `${input.type} led to ${ledTo} when it was decided, but to ${decision.state} now` +
          (decision.ignoredBecause ? ` (${decision.ignoredBecause})` : ''),
      );
    }
    saga = decision.saga;
  }
  return saga!;
}
