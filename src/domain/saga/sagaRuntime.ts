import {
  createActor,
  initialTransition,
  transition,
  type ActorScope,
  type AnyActorScope,
  type AnyStateMachine,
  type ExecutableActionsFrom,
  type SnapshotFrom,
} from 'xstate';
import type { SagaStartInput } from './sagaContext';
import type { SagaDefinition } from './sagaDefinition';
import { createSagaMachine, type SagaMachine, type SagaMachineEvent } from './sagaMachine';

/**
 * The machine of each definition, built once (building costs far more than a transition), and its
 * pure transitions: the next snapshot and the actions, none of them run.
 *
 * xstate's public `transition()` builds a throwaway inert actor for every call — an actor, an
 * actor system and an initial snapshot computed eagerly — which costs about twice the saga's whole
 * decision (bench/sagaMachine.bench.ts prints both ways, each run: ~17 against ~50 µs of CPU per
 * decision on this machine). So the saga keeps one inert scope per machine, built as xstate's
 * internal `createInertActorScope` builds it, and swaps only its action executor per call, exactly
 * as `transition()` does. Sound for a machine that never invokes or spawns (the saga's: no
 * `invoke`, no `spawn`), whose scope then carries no per-call state; calls are synchronous, so one
 * scope serves them in turn. sagaRuntime.unit.spec.ts holds it to xstate's `transition()` over
 * every reachable (saga, signal) pair: re-check it when xstate is upgraded.
 */
export type SagaSnapshot = SnapshotFrom<SagaMachine>;
export type MachineAction = ExecutableActionsFrom<SagaMachine>;
export type SagaTransition = [SagaSnapshot, MachineAction[]];

const machines = new WeakMap<SagaDefinition, SagaMachine>();

export function sagaMachineOf(definition: SagaDefinition): SagaMachine {
  let machine = machines.get(definition);
  if (!machine) machines.set(definition, (machine = createSagaMachine(definition)));
  return machine;
}

export function startTransition(definition: SagaDefinition, input: SagaStartInput): SagaTransition {
  const machine = sagaMachineOf(definition);
  return collectingActions(machine, (scope) => machine.getInitialSnapshot(scope, input));
}

export function signalTransition(
  definition: SagaDefinition,
  saga: SagaSnapshot,
  event: SagaMachineEvent,
): SagaTransition {
  const machine = sagaMachineOf(definition);
  return collectingActions(machine, (scope) => machine.transition(saga, event, scope));
}

/** xstate's own pure transitions, for the test that holds the fast path to them. */
export const xstateTransitions = {
  start: (definition: SagaDefinition, input: SagaStartInput): SagaTransition =>
    initialTransition(sagaMachineOf(definition), input),
  signal: (definition: SagaDefinition, saga: SagaSnapshot, event: SagaMachineEvent): SagaTransition =>
    transition(sagaMachineOf(definition), saga, event),
};

const scopes = new WeakMap<SagaMachine, AnyActorScope>();

function collectingActions(machine: SagaMachine, run: (scope: AnyActorScope) => SagaSnapshot): SagaTransition {
  const scope = inertScopeOf(machine);
  const actions: MachineAction[] = [];
  scope.actionExecutor = (action) => actions.push(action as MachineAction);
  try {
    return [run(scope), actions];
  } finally {
    scope.actionExecutor = ignore;
  }
}

function inertScopeOf(machine: SagaMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine as AnyStateMachine);
    scope = {
      self,
      system: self.system,
      id: '',
      sessionId: '',
      logger: ignore,
      defer: ignore,
      stopChild: ignore,
      emit: ignore,
      actionExecutor: ignore,
    } satisfies ActorScope<SnapshotFrom<AnyStateMachine>, SagaMachineEvent>;
    scopes.set(machine, scope);
  }
  return scope;
}

const ignore = () => {};
