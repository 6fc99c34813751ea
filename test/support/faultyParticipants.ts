import type { SagaParticipants } from '../../src/application/saga/jobDependencies';
import { ParticipantUnavailableError, type StepRequest } from '../../src/application/ports/participants';
import type { CompensationName, ForwardStepName } from '../../src/domain/saga';

/**
 * Participants we do not own misbehaving on cue, keyed by patient id (known before the order is
 * placed, so a fault is in place before the saga's first job runs): a compensation that keeps
 * failing, or a step that hangs — never answering — until the test releases it.
 */
export type Hold = { entered: Promise<void>; release(): void };

export function faultyParticipants(base: SagaParticipants) {
  const patientOf = new Map<string, string>();
  const failingCompensations = new Map<string, CompensationName>();
  const holds = new Map<string, { step: ForwardStepName; gate: Promise<void>; enter(): void }>();

  const forward = async <T>(step: ForwardStepName, request: StepRequest, call: () => Promise<T>): Promise<T> => {
    patientOf.set(request.sagaId, request.patientId);
    const hold = holds.get(request.patientId);
    if (hold?.step === step) {
      holds.delete(request.patientId);
      hold.enter();
      await hold.gate;
    }
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
    healCompensation: (patientId: string) => failingCompensations.delete(patientId),
    /** The patient's next call of `step` hangs until released. */
    hold(patientId: string, step: ForwardStepName): Hold {
      let enter!: () => void;
      let release!: () => void;
      const entered = new Promise<void>((resolve) => (enter = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      holds.set(patientId, { step, gate, enter });
      return { entered, release };
    },
  };
}
