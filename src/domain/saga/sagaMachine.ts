import { and, assign, setup } from 'xstate';
import {
  absorbInput,
  canCompensateInBackground,
  classifyInput,
  indexSaga,
  initialContext,
  startTopCompensation,
  unwindingCanContinue,
  unwindingIsOver,
  withReviewReturn,
  type ReviewReturn,
  type SagaContext,
  type SagaIndex,
  type SagaStartInput,
} from './sagaContext';
import type { SagaDefinition, SagaStepDefinition } from './sagaDefinition';
import type { SagaMachineEvent } from './sagaInput';
import type { ForwardStepName } from './sagaVocabulary';

/**
 * The saga as an XState v5 machine generated from its definition. Top-level states are exactly the
 * SPEC's; the graph names guards and actions only. It is driven with the pure transition
 * (pureTransition.ts): actions come back as data and are never run here. `runStep`,
 * `scheduleDeadline` and `runCompensation` are the intents; the `record…` actions are assigns, one
 * per transition at most (each assign makes xstate copy the snapshot, ~1 µs).
 *
 * No `invoke` and no `after`: invocations restart and delayed transitions are lost when a snapshot
 * is restored. Deadlines are durable delayed jobs whose expiry arrives as an ordinary failure.
 * COMPLETED and CANCELLED are not `final`: a late success must still be compensated there.
 */
export function createSagaMachine(definition: SagaDefinition) {
  const index = indexSaga(definition);
  const absorb = absorbingOnce(index);
  const meaningIs =
    (...kinds: string[]) =>
    ({ context, event }: { context: SagaContext; event: SagaMachineEvent }) =>
      kinds.includes(classifyInput(index, context, event).kind);
  const after =
    (test: (context: SagaContext) => boolean) =>
    ({ context, event }: { context: SagaContext; event: SagaMachineEvent }) =>
      test(absorb(context, event));

  return setup({
    types: {
      context: {} as SagaContext,
      events: {} as SagaMachineEvent,
      input: {} as SagaStartInput,
    },
    actions: {
      recordInput: assign(({ context, event }) => absorb(context, event)),
      recordCompensationFailure: assign(({ context, event }, params: { returnTo: ReviewReturn | 'unchanged' }) =>
        withReviewReturn(absorb(context, event), params.returnTo),
      ),
      recordInputAndStartStep: assign(({ context, event }, params: { step: ForwardStepName }) => ({
        ...absorb(context, event),
        awaitingStep: params.step,
      })),
      recordInputAndStartCompensation: assign(({ context, event }) => startTopCompensation(absorb(context, event))),
      recordInputAndEnd: assign(({ context, event }) => ({
        ...absorb(context, event),
        endedAt: event.at.toISOString(),
      })),
      // Intents: returned by transition(), turned into jobs by the reactor.
      runStep: (_, _params: { step: ForwardStepName }) => {},
      scheduleDeadline: (_, _params: { step: ForwardStepName }) => {},
      runCompensation: () => {},
    },
    guards: {
      isAwaitedSuccess: meaningIs('awaitedSuccess'),
      isLateSuccess: meaningIs('lateSuccess'),
      isSuccessToCompensate: meaningIs('awaitedSuccess', 'lateSuccess'),
      isAwaitedFailure: meaningIs('awaitedFailure'),
      isAwaitedRequiredFailure: ({ context, event }) => {
        const meaning = classifyInput(index, context, event);
        return meaning.kind === 'awaitedFailure' && meaning.step.required;
      },
      isAwaitedOptionalFailure: ({ context, event }) => {
        const meaning = classifyInput(index, context, event);
        return meaning.kind === 'awaitedFailure' && !meaning.step.required;
      },
      isRunningCompensationDone: meaningIs('runningCompensationDone'),
      isRunningCompensationFailure: meaningIs('runningCompensationFailed'),
      isCancellationRequest: meaningIs('cancellationRequested'),
      isRetryOfReview: meaningIs('retryOfReview'),
      isResolution: meaningIs('resolution'),
      returnsToCompleted: ({ context }) => context.manualReview?.returnTo === 'COMPLETED',
      unwindingIsOver: after(unwindingIsOver),
      unwindingCanContinue: after(unwindingCanContinue),
      canCompensateInBackground: after((context) => canCompensateInBackground(index, context)),
    },
  }).createMachine({
    id: definition.name,
    // The inert actor behind pure transitions (pureTransition.ts builds one per machine) computes an
    // initial snapshot without input: answer it rather than throw an error nobody reads.
    context: ({ input }) => initialContext(definition, input ?? unstarted),
    initial: definition.steps[0].state,
    entry: startingActions(definition.steps[0]),
    states: buildStates(index),
  });
}

export type SagaMachine = ReturnType<typeof createSagaMachine>;

/**
 * absorbInput, remembering its last answer. Within one transition the `unwinding…` guards and the
 * `recordInput…` that follows them absorb the same event into the same context (xstate hands them
 * the very same objects), up to three times; contexts are immutable, so identity is a safe key.
 */
function absorbingOnce(index: SagaIndex) {
  let last: Readonly<{ context: SagaContext; event: SagaMachineEvent; absorbed: SagaContext }> | null = null;
  return (context: SagaContext, event: SagaMachineEvent): SagaContext => {
    if (last?.context !== context || last.event !== event) {
      last = { context, event, absorbed: absorbInput(index, context, event) };
    }
    return last.absorbed;
  };
}

const unstarted: SagaStartInput = { sagaId: '', orderId: '', startedAt: '' };

/** The graph is generated, so its guards are typed loosely here and checked by setup() at runtime. */
type Guard = string | object;
type Transition = Readonly<{ guard: Guard; target?: string; actions: readonly unknown[] }>;
type On = Record<string, Transition[]>;

const startingActions = (step: SagaStepDefinition) =>
  [
    { type: 'runStep', params: { step: step.name } },
    { type: 'scheduleDeadline', params: { step: step.name } },
  ] as const;

/**
 * After something finished while unwinding: end CANCELLED when nothing is left, run the next
 * compensation when nothing is in flight, otherwise wait for what is.
 */
const unwind = (guard: string, from: 'COMPENSATING' | 'elsewhere'): Transition[] => {
  const stay = from === 'COMPENSATING' ? {} : { target: 'COMPENSATING' };
  return [
    { guard: and([guard, 'unwindingIsOver']), target: 'CANCELLED', actions: ['recordInputAndEnd'] },
    {
      guard: and([guard, 'unwindingCanContinue']),
      ...stay,
      actions: ['recordInputAndStartCompensation', 'runCompensation'],
    },
    { guard, ...stay, actions: ['recordInput'] },
  ];
};

/** Outside unwinding: a late success's compensation runs at once; nothing else moves. */
const compensateInBackground = (guards: readonly [string, ...string[]], target?: string): Transition[] => [
  {
    guard: and([...guards, 'canCompensateInBackground']),
    ...(target ? { target } : {}),
    actions: ['recordInputAndStartCompensation', 'runCompensation'],
  },
  {
    guard: guards.length === 1 ? guards[0] : and([...guards]),
    ...(target ? { target } : {}),
    actions: ['recordInput'],
  },
];

const awaitOperator = (returnTo: ReviewReturn | 'unchanged'): Transition[] => [
  {
    guard: 'isRunningCompensationFailure',
    target: 'MANUAL_REVIEW',
    actions: [{ type: 'recordCompensationFailure', params: { returnTo } }],
  },
];

function buildStates(index: SagaIndex) {
  const { steps } = index.definition;
  const successes = steps.map((step) => step.succeededOn);
  const failures = steps.map((step) => step.failedOn);
  const compensationDones = [...index.compensationByDone.keys()];
  const on = (...groups: (readonly [readonly string[], Transition[]])[]): On => {
    const merged: On = {};
    for (const [types, transitions] of groups) {
      for (const type of types) merged[type] = [...(merged[type] ?? []), ...transitions];
    }
    return merged;
  };

  const forwardStates = Object.fromEntries(
    steps.map((step, position) => {
      const next = steps[position + 1];
      const advance = next
        ? {
            target: next.state,
            actions: [{ type: 'recordInputAndStartStep', params: { step: next.name } }, ...startingActions(next)],
          }
        : { target: 'COMPLETED', actions: ['recordInputAndEnd'] };
      return [
        step.state,
        {
          on: on(
            [[step.succeededOn], [{ guard: 'isAwaitedSuccess', ...advance }]],
            [
              [step.failedOn],
              [...unwind('isAwaitedRequiredFailure', 'elsewhere'), { guard: 'isAwaitedOptionalFailure', ...advance }],
            ],
            // Only an optional step given up earlier can succeed late while the saga goes forward.
            [successes, compensateInBackground(['isLateSuccess'])],
            [compensationDones, compensateInBackground(['isRunningCompensationDone'])],
            [['SagaCompensationFailed'], awaitOperator('COMPENSATING')],
            [['OrderCancellationRequested'], unwind('isCancellationRequest', 'elsewhere')],
          ),
        },
      ];
    }),
  );

  return {
    ...forwardStates,
    COMPENSATING: {
      // A cancel request waits here for the step in flight: its success is compensated first.
      on: on(
        [successes, unwind('isSuccessToCompensate', 'COMPENSATING')],
        [failures, unwind('isAwaitedFailure', 'COMPENSATING')],
        [compensationDones, unwind('isRunningCompensationDone', 'COMPENSATING')],
        [['SagaCompensationFailed'], awaitOperator('COMPENSATING')],
      ),
    },
    MANUAL_REVIEW: {
      on: on(
        [
          successes,
          [{ guard: 'isAwaitedSuccess', actions: ['recordInput'] }, ...compensateInBackground(['isLateSuccess'])],
        ],
        [failures, [{ guard: 'isAwaitedFailure', actions: ['recordInput'] }]],
        [compensationDones, compensateInBackground(['isRunningCompensationDone'])],
        [['SagaCompensationFailed'], [{ ...awaitOperator('unchanged')[0]!, target: undefined }]],
        [
          ['SagaRetryRequested'],
          [
            ...compensateInBackground(['isRetryOfReview', 'returnsToCompleted'], 'COMPLETED'),
            ...unwind('isRetryOfReview', 'elsewhere'),
          ],
        ],
        [
          ['SagaResolvedManually'],
          [
            { guard: and(['isResolution', 'returnsToCompleted']), target: 'COMPLETED', actions: ['recordInput'] },
            { guard: 'isResolution', target: 'CANCELLED', actions: ['recordInputAndEnd'] },
          ],
        ],
      ),
    },
    COMPLETED: {
      on: on(
        [successes, compensateInBackground(['isLateSuccess'])],
        [compensationDones, compensateInBackground(['isRunningCompensationDone'])],
        [['SagaCompensationFailed'], awaitOperator('COMPLETED')],
      ),
    },
    CANCELLED: {
      on: on(
        [successes, compensateInBackground(['isLateSuccess'])],
        [compensationDones, compensateInBackground(['isRunningCompensationDone'])],
        [['SagaCompensationFailed'], awaitOperator('COMPENSATING')],
      ),
    },
  };
}
