import type { DomainEvent } from './domainEvent';
import type { CompensationName, ForwardStepName, SagaJobName, SagaState } from '../saga/sagaVocabulary';

/** Stream `orderFulfillmentSaga-<sagaId>`: the saga's own lifecycle. */

export type SagaStarted = DomainEvent<'SagaStarted', { sagaId: string; orderId: string; machineVersion: number }>;

/**
 * Every state change carries the persisted machine snapshot and the version of the machine that
 * wrote it, so a saga is restored from its last event alone.
 */
export type SagaStateChanged = DomainEvent<
  'SagaStateChanged',
  {
    sagaId: string;
    orderId: string;
    from: SagaState | null;
    to: SagaState;
    currentStep: SagaJobName | null;
    compensationStack: readonly CompensationName[];
    machineVersion: number;
    snapshot: unknown;
  }
>;

/** A step succeeded and pushed its compensation on the stack. */
export type SagaCompensationRecorded = DomainEvent<
  'SagaCompensationRecorded',
  { sagaId: string; orderId: string; compensation: CompensationName; compensationStack: readonly CompensationName[] }
>;

/** A forward step failed: unwinding starts. */
export type SagaFailed = DomainEvent<
  'SagaFailed',
  { sagaId: string; orderId: string; failedStep: ForwardStepName; code: string; reason: string }
>;

export type SagaCompleted = DomainEvent<'SagaCompleted', { sagaId: string; orderId: string }>;

/** A compensation failed after its retries: unwinding stops and an operator takes over. */
export type SagaCompensationFailed = DomainEvent<
  'SagaCompensationFailed',
  { sagaId: string; orderId: string; compensation: CompensationName; reason: string }
>;

export type SagaRetryRequested = DomainEvent<
  'SagaRetryRequested',
  { sagaId: string; orderId: string; compensation: CompensationName; requestedBy: string }
>;

export type SagaResolvedManually = DomainEvent<
  'SagaResolvedManually',
  { sagaId: string; orderId: string; note: string; resolvedBy: string }
>;

export type SagaEvent =
  | SagaStarted
  | SagaStateChanged
  | SagaCompensationRecorded
  | SagaFailed
  | SagaCompleted
  | SagaCompensationFailed
  | SagaRetryRequested
  | SagaResolvedManually;
