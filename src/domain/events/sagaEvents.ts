import type { DomainEvent } from './domainEvent';
import type { CompensationName, ForwardStepName, SagaJobName, SagaState } from '../saga/sagaVocabulary';

/** Stream `orderFulfillmentSaga-<sagaId>`: the saga's own lifecycle. */

export type SagaStarted = DomainEvent<'SagaStarted', { sagaId: string; orderId: string; machineVersion: number }>;

/**
 * The saga moved: a fact, with what status readers need (state, step, stack). Since schema version
 * 2 it carries the machine's snapshot only now and then (see domain/saga/sagaHistory.ts): a saga is
 * restored by replaying the inputs it reacted to. Version 1 events carry one each, and load from it.
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
    /** With `snapshot`: the version of the machine that wrote it. */
    machineVersion?: number;
    snapshot?: unknown;
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

/**
 * A compensation failed after its retries: unwinding stops and an operator takes over. `round` is
 * the round of the job that failed (the saga's `runCompensation` intent), so a redelivered failure
 * of an earlier round is recognised as stale.
 */
export type SagaCompensationFailed = DomainEvent<
  'SagaCompensationFailed',
  { sagaId: string; orderId: string; compensation: CompensationName; round: number; reason: string }
>;

/**
 * An operator retries the compensation under review. `compensation` and `round` name that review
 * (the failed round, as in the saga's manual review), so a redelivered request retries nothing twice.
 */
export type SagaRetryRequested = DomainEvent<
  'SagaRetryRequested',
  { sagaId: string; orderId: string; compensation: CompensationName; round: number; requestedBy: string }
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
