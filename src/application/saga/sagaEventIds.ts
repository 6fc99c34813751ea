import { parse as parseUuid, v5 as uuidv5 } from 'uuid';
import type { CompensationName, ForwardStepName } from '../../domain/saga/sagaVocabulary';

/**
 * Deterministic event ids. Every event the reactor or a worker appends has an id derived from what
 * caused it, so that a redelivered event or job appends the same ids again — which the event store
 * treats as a no-op — instead of a second copy.
 */
// Parsed once: given as a string, uuid parses the namespace again for every id.
const namespace = parseUuid('a4f1c3e2-5b7d-4c8e-9f10-2b3c4d5e6f70');

/** The `index`-th lifecycle event the saga appended in reaction to the input event `inputEventId`. */
export const lifecycleEventId = (inputEventId: string, index: number): string =>
  uuidv5(`${inputEventId}-${index}`, namespace);

/** The outcome a forward step reported: one id per saga, step and outcome kind. */
export const stepOutcomeEventId = (sagaId: string, step: ForwardStepName, outcome: 'succeeded' | 'rejected'): string =>
  uuidv5(`${sagaId}-${step}-${outcome}`, namespace);

/** The event that records a compensation as done. */
export const compensationDoneEventId = (sagaId: string, compensation: CompensationName): string =>
  uuidv5(`${sagaId}-${compensation}-done`, namespace);

/** The compensation failure reported for one operator round. */
export const compensationFailedEventId = (sagaId: string, compensation: CompensationName, round: number): string =>
  uuidv5(`${sagaId}-${compensation}-r${round}-failed`, namespace);
