import { decide, startSaga, type Decision } from '../sagaDecider';
import type { SagaDefinition } from '../sagaDefinition';
import { persistSaga, restoreSaga } from '../sagaHistory';
import type { SagaInput } from '../sagaInput';
import type { SagaSnapshot } from '../sagaRuntime';
import { orderId, sagaId } from './sagaInputs';

/**
 * given(inputs).when(input).then(expected) for the saga, in the manner of Emmett's
 * deciderSpecification. Every step goes through a JSON round trip of the persisted saga, as a
 * snapshot kept in the event store does.
 */
export const now = new Date('2025-03-01T09:00:00.000Z');

/** `machineVersion`: a saga started by an earlier version the definition still runs. */
export function replay(
  definition: SagaDefinition,
  history: readonly SagaInput[],
  machineVersion = definition.machineVersion,
): Decision[] {
  const decisions = [startSaga(definition, { sagaId, orderId, now, machineVersion })];
  for (const input of history) {
    decisions.push(decide(definition, roundTrip(definition, decisions.at(-1)!.saga), input, { now }));
  }
  return decisions;
}

/** The saga as it comes back from storage: persisted, through JSON, restored. */
export const roundTrip = (definition: SagaDefinition, saga: SagaSnapshot): SagaSnapshot =>
  restoreSaga(definition, JSON.parse(JSON.stringify(persistSaga(definition, saga))));

/** What identifies a saga's state: its machine state and its memory, as stored. */
export const keyOf = (saga: SagaSnapshot): string => JSON.stringify([saga.value, saga.context]);

export type Expected = Partial<Pick<Decision, 'state' | 'currentStep' | 'compensationStack' | 'intents'>> &
  Readonly<{ eventTypes?: readonly string[] }>;

export function sagaSpecification(definition: SagaDefinition, machineVersion = definition.machineVersion) {
  return {
    given: (...history: SagaInput[]) => ({
      when: (input: SagaInput) => {
        const before = roundTrip(definition, replay(definition, history, machineVersion).at(-1)!.saga);
        const decision = decide(definition, before, input, { now });
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
