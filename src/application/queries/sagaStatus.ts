import type { SagaSummary } from '../projections/sagaSummary';

/** The saga status clients read (SPEC §5), camelCase, from a summary row. */
export type SagaStatus = ReturnType<typeof toSagaStatus>;

export function toSagaStatus(summary: SagaSummary) {
  return {
    sagaId: summary.sagaId,
    orderId: summary.orderId,
    state: summary.state,
    currentStep: summary.currentStep,
    compensationStack: [...summary.compensationStack],
    failedStep: summary.failedStep,
    failureCode: summary.failureCode,
    failureReason: summary.failureReason,
    failedCompensation: summary.failedCompensation,
    cancellationRequested: summary.cancellationRequested,
    resolutionNote: summary.resolutionNote,
    startedAt: summary.startedAt,
    completedAt: summary.completedAt,
    updatedAt: summary.updatedAt,
  };
}
