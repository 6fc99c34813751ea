import { fulfillmentSaga } from './fulfillmentSaga';
import { awaitedIntents } from './sagaAwaits';
import { decide, startSaga, type Decision } from './sagaDecider';
import type { SagaIntent } from './sagaIntents';
import type { SagaSnapshot } from './sagaRuntime';
import { everyInput, orderId, sagaId } from './testing/sagaInputs';
import { optionalStepSaga } from './testing/optionalStepSaga';
import { keyOf, now } from './testing/sagaSpecification';

/**
 * What the reconciler re-sends is what the reactor sent and the saga still waits for: over every
 * reachable saga and every input, each intent a decision emits is among the saga's awaited intents
 * right after it, and each awaited intent was emitted by the decision that left it awaited.
 */
const fulfillment = fulfillmentSaga({
  stepDeadlinesMs: { CreatePrescription: 1_000, ReserveInventory: 2_000, InitiateShipment: 3_000 },
  retry: { attempts: 3, backoffMs: 10 },
});

const keyOfIntent = (intent: SagaIntent) =>
  intent.type === 'runStep' ? `step ${intent.step}` : `compensation ${intent.compensation} r${intent.round}`;

describe.each([
  ['the fulfillment saga', fulfillment],
  ['a saga with an optional step', optionalStepSaga],
])('%s: the awaited jobs are the ones sent and not yet answered', (_name, definition) => {
  it('holds on every decision of every reachable saga', () => {
    const inputs = everyInput([0, 1]);
    const start = startSaga(definition, { sagaId, orderId, now });
    const seen = new Set<string>();
    const queue: Decision[] = [start];
    let checked = 0;
    // Awaited after a decision: what was awaited before and still is, plus what the decision sent.
    const check = (before: SagaSnapshot | null, decision: Decision) => {
      const awaited = awaitedIntents(definition, decision.context).map(keyOfIntent);
      const stillAwaited = before
        ? awaitedIntents(definition, before.context)
            .map(keyOfIntent)
            .filter((key) => awaited.includes(key))
        : [];
      expect(new Set(awaited)).toEqual(new Set([...stillAwaited, ...decision.intents.map(keyOfIntent)]));
      // The very intent, deadline and retry policy included.
      for (const sent of decision.intents) expect(awaitedIntents(definition, decision.context)).toContainEqual(sent);
      checked++;
    };
    check(null, start);
    for (let decision = queue.shift(); decision; decision = queue.shift()) {
      for (const input of inputs) {
        const next = decide(definition, decision.saga, input, { now });
        if (next.ignoredBecause) continue;
        check(decision.saga, next);
        const key = keyOf(next.saga);
        if (seen.has(key) || Object.values(next.context.nextRounds).some((round) => round! > 1)) continue;
        seen.add(key);
        queue.push(next);
      }
    }
    expect(checked).toBeGreaterThan(1_000);
  });

  it('leaves out the compensation under review, and a finished saga waits for nothing', () => {
    const context = startSaga(definition, { sagaId, orderId, now }).context;
    expect(
      awaitedIntents(definition, {
        ...context,
        awaitingStep: null,
        manualReview: { compensation: 'CancelOrder', round: 0, reason: 'x', returnTo: 'COMPENSATING' },
      }),
    ).toEqual([]);
    expect(awaitedIntents(definition, { ...context, awaitingStep: null })).toEqual([]);
  });
});
