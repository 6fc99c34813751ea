import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { SagaDefinition } from '../sagaDefinition';
import { sagaMachineOf } from '../sagaDecider';
import type { SagaMachineEvent } from '../sagaInput';
import type { SagaMachine } from '../sagaMachine';
import { everyInput, orderId, sagaId } from './sagaInputs';
import { now } from './sagaSpecification';

/**
 * Every saga machine snapshot reachable from the start, found with xstate's own pure
 * `initialTransition` / `transition` (the reference the faster helpers are held to), and every
 * (snapshot, event) pair tried on the way. Like the exhaustive spec, timeouts and operator
 * retries past round 1 are tried but not expanded, so the search ends.
 */
export type MachineSnapshot = SnapshotFrom<SagaMachine>;

export const startInput = { sagaId, orderId, startedAt: now.toISOString() };

export function reachableMachineSnapshots(definition: SagaDefinition) {
  const machine = sagaMachineOf(definition);
  const events: SagaMachineEvent[] = everyInput([0, 1, 2]).map((input) => ({ ...input, at: now }));
  const [start] = initialTransition(machine, startInput);
  const seen = new Map<string, MachineSnapshot>([[keyOf(start), start]]);
  const queue = [start];
  const pairs: { snapshot: MachineSnapshot; event: SagaMachineEvent }[] = [];
  for (let snapshot = queue.shift(); snapshot; snapshot = queue.shift()) {
    for (const event of events) {
      pairs.push({ snapshot, event });
      const [next] = transition(machine, snapshot, event);
      const key = keyOf(next);
      if (seen.has(key) || isTimeout(event) || Object.values(next.context.nextRounds).some((round) => round! > 1)) {
        continue;
      }
      seen.set(key, next);
      queue.push(next);
    }
  }
  return { machine, snapshots: [...seen.values()], pairs };
}

const keyOf = (snapshot: MachineSnapshot) => JSON.stringify([snapshot.value, snapshot.context]);
const isTimeout = (event: SagaMachineEvent) => 'code' in event.data && event.data.code === 'STEP_TIMEOUT';
