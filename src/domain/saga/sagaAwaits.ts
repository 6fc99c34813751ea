import { indexSaga, type SagaContext } from './sagaContext';
import type { SagaDefinition } from './sagaDefinition';
import type { SagaIntent } from './sagaIntents';

/**
 * The jobs a saga is waiting on, as the intents that sent them: the forward step in flight and the
 * compensation running (each sent once, when the saga moved to wait for it). Not the compensation
 * an operator is reviewing: its job failed for good, and only the operator sends it again. The
 * reconciler re-sends these when the queue has lost them.
 */
export function awaitedIntents(definition: SagaDefinition, context: SagaContext): SagaIntent[] {
  const index = indexSaga(definition);
  const intents: SagaIntent[] = [];
  if (context.awaitingStep) {
    const step = index.stepByName.get(context.awaitingStep)!;
    intents.push({ type: 'runStep', step: step.name, deadlineMs: step.deadlineMs, retry: step.retry });
  }
  if (context.runningCompensation) {
    const { compensation, round } = context.runningCompensation;
    const { retry } = index.compensationByName.get(compensation)!;
    intents.push({ type: 'runCompensation', compensation, round, retry });
  }
  return intents;
}
