import { assign, setup } from 'xstate';
import { indexSaga, initialContext, type SagaContext, type SagaStartInput } from './sagaContext';
import type { SagaDefinition, SagaStepDefinition } from './sagaDefinition';
import {
  canCompensateInBackground,
  record,
  startTopCompensation,
  unwindingCanContinue,
  unwindingIsOver,
  type SagaSignal,
  type SagaSignalType,
} from './sagaSignals';
import type { ReviewReturn } from './sagaContext';
import type { ForwardStepName } from './sagaVocabulary';

/**
 * The saga as an XState v5 machine generated from its definition: where each signal leads from
 * each state. Top-level states are exactly the SPEC's. What a signal means and what it changes are
 * decided elsewhere, once (sagaSignals.ts); the graph names guards and actions only.
 *
 * Driven with xstate's pure `transition()`: `runStep` and `runCompensation` are intents, returned as
 * data and turned into jobs by the reactor, never run here. No `invoke` and no `after`: invocations
 * restart and delayed transitions are lost when a snapshot is restored; a step's deadline is the
 * worker's (start-to-close), and its expiry arrives as an ordinary failure.
 *
 * Unwinding and background compensation are eventless (`always`) transitions, checked after every
 * signal: the next compensation starts as soon as nothing is in flight, whichever signal freed the
 * way. COMPLETED and CANCELLED are not `final`: a late success must still be compensated there.
 */
export type SagaMachineEvent = SagaSignal & Readonly<{ at: Date }>;

export function createSagaMachine(definition: SagaDefinition) {
  const index = indexSaga(definition);
  return setup({
    types: {
      context: {} as SagaContext,
      events: {} as SagaMachineEvent,
      input: {} as SagaStartInput,
    },
    actions: {
      record: assign(({ context, event }, params: { reviewReturnsTo: ReviewReturn | 'unchanged' }) =>
        record(index, context, event, event.at, params.reviewReturnsTo),
      ),
      awaitStep: assign((_, params: { step: ForwardStepName }) => ({ awaitingStep: params.step })),
      startTopCompensation: assign(({ context }) => startTopCompensation(context)),
      markEnded: assign(({ event }) => ({ endedAt: event.at.toISOString() })),
      // Intents: returned by transition(), turned into jobs by the reactor.
      runStep: (_, _params: { step: ForwardStepName }) => {},
      runCompensation: () => {},
    },
    guards: {
      failedStepIsRequired: ({ event }) => event.type === 'stepFailed' && event.required,
      reviewReturnsToCompleted: ({ context }) => context.manualReview?.returnTo === 'COMPLETED',
      unwindingIsOver: ({ context }) => unwindingIsOver(context),
      unwindingCanContinue: ({ context }) => unwindingCanContinue(context),
      canCompensateInBackground: ({ context, event }) =>
        backgroundTriggers.has(event.type) && canCompensateInBackground(index, context),
    },
  }).createMachine({
    id: definition.name,
    // xstate computes an initial snapshot without input when it builds an actor (as its pure
    // transition() does for every call): answer it rather than throw an error nobody reads.
    context: ({ input }) =>
      initialContext(definition, input ?? { ...unstarted, machineVersion: definition.machineVersion }),
    initial: definition.steps[0].state,
    entry: [{ type: 'runStep', params: { step: definition.steps[0].name } }],
    states: statesOf(definition),
  });
}

export type SagaMachine = ReturnType<typeof createSagaMachine>;

/**
 * What can start a compensation outside unwinding: a late success arriving, the compensation
 * running finishing, an operator's retry sending the saga back to COMPLETED. Not a compensation
 * failing: that stops everything until an operator has looked.
 */
const backgroundTriggers: ReadonlySet<SagaSignalType> = new Set([
  'stepSucceededLate',
  'compensationDone',
  'reviewRetried',
]);

const unstarted: Omit<SagaStartInput, 'machineVersion'> = { sagaId: '', orderId: '', startedAt: '' };

/** The generated graph's vocabulary: what setup() above declares. */
type GuardName =
  | 'failedStepIsRequired'
  | 'reviewReturnsToCompleted'
  | 'unwindingIsOver'
  | 'unwindingCanContinue'
  | 'canCompensateInBackground';
type ActionRef =
  | 'startTopCompensation'
  | 'markEnded'
  | 'runCompensation'
  | Readonly<{ type: 'record'; params: Readonly<{ reviewReturnsTo: ReviewReturn | 'unchanged' }> }>
  | Readonly<{ type: 'awaitStep' | 'runStep'; params: Readonly<{ step: ForwardStepName }> }>;
type Transition = Readonly<{ guard?: GuardName; target?: string; actions: readonly ActionRef[] }>;
type On = Partial<Record<SagaSignalType, Transition | Transition[]>>;

const recording = (reviewReturnsTo: ReviewReturn | 'unchanged' = 'unchanged'): ActionRef => ({
  type: 'record',
  params: { reviewReturnsTo },
});
const justRecord: Transition = { actions: [recording()] };
const toReview = (reviewReturnsTo: ReviewReturn | 'unchanged'): Transition => ({
  ...(reviewReturnsTo === 'unchanged' ? {} : { target: 'MANUAL_REVIEW' }),
  actions: [recording(reviewReturnsTo)],
});
const end = (target: 'COMPLETED' | 'CANCELLED'): Transition => ({ target, actions: [recording(), 'markEnded'] });

/** Outside unwinding: the compensation of a late success runs as soon as nothing else does. */
const compensatesInBackground = {
  always: [
    { guard: 'canCompensateInBackground', actions: ['startTopCompensation', 'runCompensation'] },
  ] satisfies Transition[],
};

function statesOf(definition: SagaDefinition) {
  const { steps } = definition;
  const forward = (step: SagaStepDefinition, position: number) => {
    const next = steps[position + 1];
    const advance: Transition = next
      ? {
          target: next.state,
          actions: [
            recording(),
            { type: 'awaitStep', params: { step: next.name } },
            { type: 'runStep', params: { step: next.name } },
          ],
        }
      : end('COMPLETED');
    const on: On = {
      stepSucceeded: advance,
      // An optional step's failure is recorded and the saga goes on without it.
      stepFailed: [{ guard: 'failedStepIsRequired', target: 'COMPENSATING', actions: [recording()] }, advance],
      // Only an optional step given up earlier can succeed late while the saga goes forward.
      stepSucceededLate: justRecord,
      compensationDone: justRecord,
      compensationFailed: toReview('COMPENSATING'),
      // The step in flight is waited for in COMPENSATING: its success is compensated first.
      cancellationRequested: { target: 'COMPENSATING', actions: [recording()] },
    };
    return [step.state, { ...compensatesInBackground, on }] as const;
  };

  return {
    ...Object.fromEntries(steps.map(forward)),
    COMPENSATING: {
      always: [
        { guard: 'unwindingIsOver', ...end('CANCELLED') },
        { guard: 'unwindingCanContinue', actions: ['startTopCompensation', 'runCompensation'] },
      ] satisfies Transition[],
      on: {
        stepSucceeded: justRecord,
        stepSucceededLate: justRecord,
        stepFailed: justRecord,
        compensationDone: justRecord,
        compensationFailed: toReview('COMPENSATING'),
      } satisfies On,
    },
    MANUAL_REVIEW: {
      ...compensatesInBackground,
      on: {
        stepSucceeded: justRecord,
        stepSucceededLate: justRecord,
        stepFailed: justRecord,
        compensationDone: justRecord,
        compensationFailed: toReview('unchanged'),
        reviewRetried: [
          { guard: 'reviewReturnsToCompleted', target: 'COMPLETED', actions: [recording()] },
          { target: 'COMPENSATING', actions: [recording()] },
        ],
        reviewResolved: [
          { guard: 'reviewReturnsToCompleted', target: 'COMPLETED', actions: [recording()] },
          end('CANCELLED'),
        ],
      } satisfies On,
    },
    COMPLETED: {
      ...compensatesInBackground,
      on: {
        stepSucceededLate: justRecord,
        compensationDone: justRecord,
        compensationFailed: toReview('COMPLETED'),
      } satisfies On,
    },
    CANCELLED: {
      ...compensatesInBackground,
      on: {
        stepSucceededLate: justRecord,
        compensationDone: justRecord,
        compensationFailed: toReview('COMPENSATING'),
      } satisfies On,
    },
  };
}
