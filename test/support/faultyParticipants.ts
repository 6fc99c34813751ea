import type { SagaParticipants } from '../../src/application/saga/jobDependencies';
import { ParticipantUnavailableError, type StepRequest } from '../../src/application/ports/participants';
import type { CompensationName, ForwardStepName } from '../../src/domain/saga';

/**
 * Participants we do not own misbehaving on cue, keyed by patient id (known before the order is
 * placed, so a fault is in place before the saga's first job runs): a compensation that keeps
 * failing, or a step that hangs — never answering — until the test releases it: before it acts
 * (it then acts on release), or after it has acted (its answer is held back).
 */
export type Hold = { entered: Promise<void>; release(): void };
export type HoldPoint = 'beforeActing' | 'afterActing';

export function faultyParticipants(base: SagaParticipants) {
  const patientOf = new Map<string, string>();
  const failingCompensations = new Map<string, CompensationName>();
  const holds = new Map<string, { step: ForwardStepName; at: HoldPoint; gate: Promise<void>; enter(): void }>();

  /** Forward calls of each saga that have not answered yet. */
  const inFlight = new Map<string, number>();

  const forward = async <T>(step: ForwardStepName, request: StepRequest, call: () => Promise<T>): Promise<T> => {
    patientOf.set(request.sagaId, request.patientId);
    inFlight.set(request.sagaId, (inFlight.get(request.sagaId) ?? 0) + 1);
    try {
      return await answerOf(step, request, call);
    } finally {
      inFlight.set(request.sagaId, inFlight.get(request.sagaId)! - 1);
    }
  };
  const answerOf = async <T>(step: ForwardStepName, request: StepRequest, call: () => Promise<T>): Promise<T> => {
    const hold = holds.get(request.patientId);
    if (hold?.step !== step) return call();
    holds.delete(request.patientId);
    if (hold.at === 'afterActing') {
      const answer = await call();
      hold.enter();
      await hold.gate;
      return answer;
    }
    hold.enter();
    await hold.gate;
    return call();
  };
  const compensation = async <T>(name: CompensationName, sagaId: string, call: () => Promise<T>): Promise<T> => {
    if (failingCompensations.get(patientOf.get(sagaId) ?? '') === name) {
      throw new ParticipantUnavailableError('test', name, 'the participant is down (injected fault)');
    }
    return call();
  };

  const participants: SagaParticipants = {
    prescriptions: {
      createPrescription: (request) =>
        forward('CreatePrescription', request, () => base.prescriptions.createPrescription(request)),
      cancelPrescription: (request) =>
        compensation('CancelPrescription', request.sagaId, () => base.prescriptions.cancelPrescription(request)),
    },
    inventory: {
      reserve: (request) => forward('ReserveInventory', request, () => base.inventory.reserve(request)),
      release: (request) => compensation('ReleaseInventory', request.sagaId, () => base.inventory.release(request)),
    },
    shipping: {
      initiateShipment: (request) =>
        forward('InitiateShipment', request, () => base.shipping.initiateShipment(request)),
      cancelShipment: (request) =>
        compensation('CancelShipment', request.sagaId, () => base.shipping.cancelShipment(request)),
    },
  };

  return {
    participants,
    failCompensation: (patientId: string, name: CompensationName) => failingCompensations.set(patientId, name),
    /** True once every forward call made for the saga has answered (a held one released, say). */
    settled: (sagaId: string) => inFlight.has(sagaId) && inFlight.get(sagaId) === 0,
    healCompensation: (patientId: string) => failingCompensations.delete(patientId),
    /**
     * The patient's next call of `step` hangs until released: before the participant acts (it acts
     * on release), or once it has acted (its answer comes on release).
     */
    hold(patientId: string, step: ForwardStepName, at: HoldPoint = 'beforeActing'): Hold {
      let enter!: () => void;
      let release!: () => void;
      const entered = new Promise<void>((resolve) => (enter = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      holds.set(patientId, { step, at, gate, enter });
      return { entered, release };
    },
  };
}
