import { fulfillmentSaga } from './fulfillmentSaga';
import { indexSaga } from './sagaContext';
import { decide, startSaga } from './sagaDecider';
import {
  signalTransition,
  startTransition,
  xstateTransitions,
  type SagaSnapshot,
  type SagaTransition,
} from './sagaRuntime';
import { classify } from './sagaSignals';
import { everyInput, orderId, sagaId } from './testing/sagaInputs';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { keyOf, now } from './testing/sagaSpecification';

/**
 * The saga's fast pure transitions (one inert scope per machine, see sagaRuntime.ts) against
 * xstate's own `initialTransition()` / `transition()`, over every reachable saga and every signal
 * an input gives there: the same next state, memory and actions. Re-run on every xstate upgrade.
 */
const fulfillment = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 2_000, InitiateShipment: 3_000 },
  retry: { attempts: 3, backoffMs: 10 },
});

const comparable = ([saga, actions]: SagaTransition) => ({
  value: saga.value,
  context: saga.context,
  actions: actions.map(({ type, params }) => ({ type, params })),
});

describe.each([
  ['the fulfillment saga', fulfillment],
  ['a saga with an optional step', optionalStepSaga],
])('%s: the fast transitions are xstate’s', (_name, definition) => {
  it('starts the same', () => {
    const input = { sagaId, orderId, startedAt: now.toISOString(), machineVersion: definition.machineVersion };
    expect(comparable(startTransition(definition, input))).toEqual(
      comparable(xstateTransitions.start(definition, input)),
    );
  });

  it('moves the same on every signal of every reachable saga', () => {
    const index = indexSaga(definition);
    const inputs = everyInput([0, 1]);
    const seen = new Set<string>();
    const queue: SagaSnapshot[] = [startSaga(definition, { sagaId, orderId, now }).saga];
    let compared = 0;
    for (let saga = queue.shift(); saga; saga = queue.shift()) {
      for (const input of inputs) {
        const signal = classify(index, saga.context, input);
        if (signal.type === 'ignored') continue;
        const event = { ...signal, at: now };
        expect(comparable(signalTransition(definition, saga, event))).toEqual(
          comparable(xstateTransitions.signal(definition, saga, event)),
        );
        compared++;
        const next = decide(definition, saga, input, { now }).saga;
        const key = keyOf(next);
        if (seen.has(key) || Object.values(next.context.nextRounds).some((round) => round! > 1)) continue;
        seen.add(key);
        queue.push(next);
      }
    }
    expect(compared).toBeGreaterThan(1_000);
  });
});
