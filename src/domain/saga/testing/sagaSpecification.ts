import { decide, startSaga, type Decision } from '../sagaDecider';
import type { SagaDefinition } from '../sagaDefinition';
import type { SagaInput } from '../sagaInput';
import { orderId, sagaId } from './sagaInputs';

/**
 * given(inputs).when(input).then(expected) for the saga, in the manner of Emmett's
 * deciderSpecification. Every step goes through a JSON round trip of the persisted snapshot, as
 * it does between the reactor and the event store.
 */
export const now = new Date('2025-03-01T09:00:00.000Z');

export function replay(definition: SagaDefinition, history: readonly SagaInput[]): Decision[] {
  const decisions = [startSaga(definition, { sagaId, orderId, now })];
  for (const input of history)
    decisions.push(decide(definition, roundTrip(decisions.at(-1)!.snapshot), input, { now }));
  return decisions;
}

export const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export type Expected = Partial<Pick<Decision, 'state' | 'currentStep' | 'compensationStack' | 'intents'>> &
  Readonly<{ eventTypes?: readonly string[] }>;

export function sagaSpecification(definition: SagaDefinition) {
  return {
    given: (...history: SagaInput[]) => ({
      when: (input: SagaInput) => {
        const decision = decide(definition, roundTrip(replay(definition, history).at(-1)!.snapshot), input, { now });
        return {
          decision,
          then: (expected: Expected) => {
            const { eventTypes, ...rest } = expected;
            expect(decision).toMatchObject(rest);
            if (rest.intents) expect(decision.intents).toEqual(rest.intents);
            if (eventTypes) expect(decision.events.map((event) => event.type)).toEqual(eventTypes);
            return decision;
          },
        };
      },
    }),
  };
}
