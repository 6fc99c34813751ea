import { initialTransition, transition, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';
import type { SagaStartInput } from './sagaContext';
import type { SagaDefinition } from './sagaDefinition';
import { createSagaMachine, type SagaMachine, type SagaMachineEvent } from './sagaMachine';

/**
 * The machine of each definition, built once (building costs far more than a transition), and
 * xstate's public pure transitions over it: the next snapshot and the actions, none of them run.
 */
export type SagaSnapshot = SnapshotFrom<SagaMachine>;
export type MachineAction = ExecutableActionsFrom<SagaMachine>;

const machines = new WeakMap<SagaDefinition, SagaMachine>();

export function sagaMachineOf(definition: SagaDefinition): SagaMachine {
  let machine = machines.get(definition);
  if (!machine) machines.set(definition, (machine = createSagaMachine(definition)));
  return machine;
}

export function startTransition(definition: SagaDefinition, input: SagaStartInput): [SagaSnapshot, MachineAction[]] {
  return initialTransition(sagaMachineOf(definition), input);
}

export function signalTransition(
  definition: SagaDefinition,
  saga: SagaSnapshot,
  event: SagaMachineEvent,
): [SagaSnapshot, MachineAction[]] {
  return transition(sagaMachineOf(definition), saga, event);
}
