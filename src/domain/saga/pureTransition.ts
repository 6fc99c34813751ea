import {
  createActor,
  type ActorScope,
  type AnyActorScope,
  type AnyStateMachine,
  type EventFromLogic,
  type ExecutableActionsFrom,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';

/**
 * xstate's pure `transition()` / `initialTransition()`, minus their fixed cost. Each xstate call
 * builds a throwaway inert actor scope (`createActor(machine)`, which eagerly computes an initial
 * snapshot, plus a fresh actor system): about 26 µs per call, more than the transition itself.
 *
 * Here one inert scope per machine is built once and reused; only its `actionExecutor` is swapped
 * to collect the actions of each call, exactly as xstate does, so the result is the same tuple
 * [next snapshot, actions not run]. Reuse is sound only for a machine that never invokes or spawns
 * (the saga machine: no `invoke`, no `spawn`), for then the scope carries no per-call state: its
 * system would only register children (xstate gives each call a fresh one so that children with a
 * `systemId` cannot clash), and its `self` is only handed to actions, which are never run, and to
 * inspection, which nothing listens to. Calls are synchronous, so one scope serves them in turn.
 * pureTransition.unit.spec.ts holds it to xstate's own functions.
 */

type Transition<M extends AnyStateMachine> = [nextSnapshot: SnapshotFrom<M>, actions: ExecutableActionsFrom<M>[]];

export function pureTransition<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: EventFromLogic<M>,
): Transition<M> {
  return collectingActions(machine, (scope) => machine.transition(snapshot, event, scope) as SnapshotFrom<M>);
}

export function pureInitialTransition<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): Transition<M> {
  return collectingActions(machine, (scope) => machine.getInitialSnapshot(scope, input) as SnapshotFrom<M>);
}

const scopes = new WeakMap<AnyStateMachine, AnyActorScope>();

function collectingActions<M extends AnyStateMachine>(
  machine: M,
  run: (scope: AnyActorScope) => SnapshotFrom<M>,
): Transition<M> {
  const scope = inertScopeOf(machine);
  const actions: ExecutableActionsFrom<M>[] = [];
  scope.actionExecutor = (action) => actions.push(action as ExecutableActionsFrom<M>);
  try {
    return [run(scope), actions];
  } finally {
    scope.actionExecutor = ignore;
  }
}

/** The scope xstate's internal `createInertActorScope` builds, once per machine and with the actor's own system. */
function inertScopeOf(machine: AnyStateMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine);
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
    } satisfies ActorScope<SnapshotFrom<AnyStateMachine>, EventFromLogic<AnyStateMachine>>;
    scopes.set(machine, scope);
  }
  return scope;
}

const ignore = () => {};
