import type { SagaContext } from './sagaContext';
import { decide, startSaga } from './sagaDecider';
import { rulesOf, type SagaDefinition } from './sagaDefinition';
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

/** Stored with the version that started the saga: its rules, not the newest, go on deciding it. */
export function persistSaga(_definition: SagaDefinition, saga: SagaSnapshot): PersistedSaga {
  return { machineVersion: saga.context.machineVersion, snapshot: { value: saga.value, context: saga.context } };
}

/**
 * Restores a stored snapshot; refuses a machine version the definition does not run and anything
 * that is not a snapshot of this machine.
 */
export function restoreSaga(definition: SagaDefinition, persisted: PersistedSaga): SagaSnapshot {
  refuseUnknownVersion(definition, persisted.machineVersion);
  const machine = sagaMachineOf(definition);
  const { value, context } = (persisted.snapshot ?? {}) as { value?: unknown; context?: unknown };
  if (typeof value !== 'string' || !(sagaStates as readonly string[]).includes(value) || !(value in machine.states)) {
    throw new SagaSnapshotError(definition.name, `"${String(value)}" is not a state of this machine`);
  }
  if (typeof context !== 'object' || context === null)
    throw new SagaSnapshotError(definition.name, 'it has no context');
  // Version 1 kept no machineVersion in the context: the snapshot's own says which it is.
  const restored = { ...(context as SagaContext), machineVersion: persisted.machineVersion };
  return machine.resolveState({ value, context: restored });
}

function refuseUnknownVersion(definition: SagaDefinition, machineVersion: number) {
  if (!rulesOf(definition, machineVersion)) {
    throw new SagaMachineVersionError(definition.name, machineVersion, Object.keys(definition.versions).map(Number));
  }
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
    refuseUnknownVersion(definition, machineVersion);
    saga = startSaga(definition, { sagaId, orderId, now: at, machineVersion }).saga;
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
