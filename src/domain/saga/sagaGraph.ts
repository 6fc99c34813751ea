import type { SagaDefinition } from './sagaDefinition';
import { sagaMachineOf } from './sagaRuntime';
import { terminalSagaStates, type ForwardStepName, type SagaState } from './sagaVocabulary';

/**
 * The saga's state machine as data, read from the very xstate machine the reactor runs (never
 * written out by hand), for the operator console to draw: the states, what kind each is, and every
 * transition that changes state, named by the signal that causes it (`always` for the machine's
 * eventless transitions) and the guard it needs, if any. Transitions that stay in their state
 * (recording a late success, say) are left out: they draw no edge.
 */
export type SagaGraphState = Readonly<{
  name: SagaState;
  kind: 'pending' | 'compensating' | 'final' | 'review';
  /** The forward step that runs while the saga is in this state. */
  step?: ForwardStepName;
}>;
export type SagaGraphTransition = Readonly<{ from: SagaState; to: SagaState; on: string; guard?: string }>;
export type SagaGraph = Readonly<{ states: SagaGraphState[]; transitions: SagaGraphTransition[] }>;

export function sagaGraphOf(definition: SagaDefinition): SagaGraph {
  const stepOf = new Map(definition.steps.map((step) => [step.state as SagaState, step]));
  const states: SagaGraphState[] = [];
  const transitions: SagaGraphTransition[] = [];
  for (const [key, node] of Object.entries(sagaMachineOf(definition).root.states)) {
    const name = key as SagaState;
    const step = stepOf.get(name);
    states.push({ name, kind: step ? 'pending' : kindOf(name), ...(step ? { step: step.name } : {}) });
    const byEvent: [string, typeof node.always][] = [...node.transitions, ['always', node.always]];
    for (const [on, candidates] of byEvent) {
      for (const candidate of candidates ?? []) {
        const guard = typeof candidate.guard === 'string' ? candidate.guard : undefined;
        // failedStepIsRequired depends on the step alone: a required step's failure always takes
        // its guarded transition (the ones after it are never reached), an optional step's never.
        if (guard === 'failedStepIsRequired' && step && !step.required) continue;
        const to = candidate.target?.[0]?.key as SagaState | undefined;
        if (to !== undefined && to !== name) transitions.push({ from: name, to, on, ...(guard ? { guard } : {}) });
        if (guard === 'failedStepIsRequired') break;
      }
    }
  }
  return { states, transitions };
}

function kindOf(state: SagaState): SagaGraphState['kind'] {
  if ((terminalSagaStates as readonly SagaState[]).includes(state)) return 'final';
  return state === 'MANUAL_REVIEW' ? 'review' : 'compensating';
}
