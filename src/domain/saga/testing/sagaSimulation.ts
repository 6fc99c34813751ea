import { decide, startSaga, type Decision } from '../sagaDecider';
import type { SagaDefinition } from '../sagaDefinition';
import type { SagaInput } from '../sagaInput';
import type { SagaIntent } from '../sagaIntents';
import type { CompensationName, ForwardStepName } from '../sagaVocabulary';
import { compensationDone, inputs, orderId, sagaId } from './sagaInputs';
import { now, roundTrip } from './sagaSpecification';

/**
 * Plays reactor, queue, workers and participants at once: every intent is answered at once, as
 * scripted, until nothing is left to do. What comes out is what ran, in order.
 */
export type StepBehaviour =
  | 'succeeds'
  | 'is rejected'
  | 'times out'
  | 'runs out of retries'
  /** Its success arrives once everything else has run. */
  | 'succeeds after timing out'
  /** Its success arrives right after the timeout, before anything else has run. */
  | 'succeeds right after timing out';

export type SimulationScript = Readonly<{
  steps?: Partial<Record<ForwardStepName, StepBehaviour>>;
  /** Compensations whose job fails for good (after its retries) the first time it runs. */
  failingCompensations?: readonly CompensationName[];
  /** A saga started by an earlier machine version the definition still runs. */
  machineVersion?: number;
}>;

export type Simulation = Readonly<{
  final: Decision;
  stepsRun: ForwardStepName[];
  compensationsRun: CompensationName[];
}>;

const outcomeOf: Record<
  ForwardStepName,
  Record<'succeeds' | 'is rejected' | 'times out' | 'runs out of retries', () => SagaInput>
> = {
  CreatePrescription: {
    succeeds: inputs.prescriptionCreated,
    'is rejected': () => inputs.prescriptionFailed(),
    'times out': () => inputs.prescriptionFailed('STEP_TIMEOUT'),
    'runs out of retries': () => inputs.prescriptionFailed('RETRIES_EXHAUSTED'),
  },
  ReserveInventory: {
    succeeds: inputs.inventoryReserved,
    'is rejected': () => inputs.inventoryReservationFailed(),
    'times out': () => inputs.inventoryReservationFailed('STEP_TIMEOUT'),
    'runs out of retries': () => inputs.inventoryReservationFailed('RETRIES_EXHAUSTED'),
  },
  InitiateShipment: {
    succeeds: inputs.shipmentInitiated,
    'is rejected': () => inputs.shipmentInitiationFailed(),
    'times out': () => inputs.shipmentInitiationFailed('STEP_TIMEOUT'),
    'runs out of retries': () => inputs.shipmentInitiationFailed('RETRIES_EXHAUSTED'),
  },
};

export function simulate(definition: SagaDefinition, script: SimulationScript): Simulation {
  const stepsRun: ForwardStepName[] = [];
  const compensationsRun: CompensationName[] = [];
  const failing = new Set(script.failingCompensations ?? []);
  let decision = startSaga(definition, { sagaId, orderId, now, machineVersion: script.machineVersion });
  const pending: SagaIntent[] = [...decision.intents];
  /** Successes held back until everything else has run: they arrive after the saga gave up on them. */
  const late: SagaInput[] = [];
  /** Successes that arrive right after their timeout, before the intents it led to are answered. */
  const next: SagaInput[] = [];
  const behaviourOf = (step: ForwardStepName): StepBehaviour => script.steps?.[step] ?? 'succeeds';
  const answer = (intent: SagaIntent): SagaInput | undefined => {
    switch (intent.type) {
      case 'runStep': {
        // A try that outlives the step's deadline is reported as a timeout by its worker; its
        // success, if it comes after all, arrives once everything else has run.
        stepsRun.push(intent.step);
        const behaviour = behaviourOf(intent.step);
        if (behaviour === 'succeeds after timing out') late.push(outcomeOf[intent.step].succeeds());
        else if (behaviour === 'succeeds right after timing out') next.push(outcomeOf[intent.step].succeeds());
        else return outcomeOf[intent.step][behaviour]();
        return outcomeOf[intent.step]['times out']();
      }
      case 'runCompensation':
        compensationsRun.push(intent.compensation);
        if (failing.delete(intent.compensation)) return inputs.compensationFailed(intent.compensation, intent.round);
        return compensationDone[intent.compensation]();
    }
  };
  const decideOn = (input: SagaInput) => {
    decision = decide(definition, roundTrip(definition, decision.saga), input, { now });
    pending.push(...decision.intents);
  };
  for (let intent = pending.shift(); intent || late.length > 0; intent = pending.shift()) {
    const input = intent ? answer(intent) : late.shift();
    if (!input) continue;
    decideOn(input);
    for (let success = next.shift(); success; success = next.shift()) decideOn(success);
  }
  return { final: decision, stepsRun, compensationsRun };
}
