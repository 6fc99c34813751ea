import type { SagaSummary } from '../../application/projections/sagaSummary';

/** How a SagaSummary is stored as an `order_fulfillment_sagas` row, and read back. */

export const liveSagasTable = 'order_fulfillment_sagas';

export type SagaSummaryRow = Readonly<{
  id: number;
  saga_uuid: string;
  order_uuid: string;
  state: string;
  compensation_stack: string;
  current_step: string | null;
  failed_step: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  failed_compensation: string | null;
  failed_compensation_round: number | null;
  operator_action_pending: boolean | number;
  cancellation_requested: boolean | number;
  resolution_note: string | null;
  started_at: Date | string | number;
  completed_at: Date | string | number | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
  last_position: number | string;
}>;

/** Every column, in the order the writer binds them. */
export const sagaSummaryColumns = [
  'id',
  'saga_uuid',
  'order_uuid',
  'state',
  'compensation_stack',
  'current_step',
  'failed_step',
  'failure_code',
  'failure_reason',
  'failed_compensation',
  'failed_compensation_round',
  'operator_action_pending',
  'cancellation_requested',
  'resolution_note',
  'started_at',
  'completed_at',
  'created_at',
  'updated_at',
  'last_position',
] as const satisfies readonly (keyof SagaSummaryRow)[];

export function toRow(summary: SagaSummary): SagaSummaryRow {
  return {
    id: summary.createdPosition,
    saga_uuid: summary.sagaId,
    order_uuid: summary.orderId,
    state: summary.state,
    compensation_stack: JSON.stringify(summary.compensationStack),
    current_step: summary.currentStep,
    failed_step: summary.failedStep,
    failure_code: summary.failureCode,
    failure_reason: summary.failureReason,
    failed_compensation: summary.failedCompensation,
    failed_compensation_round: summary.failedCompensationRound,
    operator_action_pending: summary.operatorActionPending,
    cancellation_requested: summary.cancellationRequested,
    resolution_note: summary.resolutionNote,
    started_at: new Date(summary.startedAt),
    completed_at: summary.completedAt === null ? null : new Date(summary.completedAt),
    // Event time, not wall-clock time: a rebuild must produce the very same row.
    created_at: new Date(summary.startedAt),
    updated_at: new Date(summary.updatedAt),
    last_position: summary.lastPosition,
  };
}

export function fromRow(row: SagaSummaryRow): SagaSummary {
  return {
    sagaId: row.saga_uuid,
    orderId: row.order_uuid,
    createdPosition: Number(row.id),
    state: row.state as SagaSummary['state'],
    currentStep: row.current_step as SagaSummary['currentStep'],
    compensationStack: JSON.parse(row.compensation_stack) as SagaSummary['compensationStack'],
    failedStep: row.failed_step as SagaSummary['failedStep'],
    failureCode: row.failure_code,
    failureReason: row.failure_reason,
    failedCompensation: row.failed_compensation as SagaSummary['failedCompensation'],
    failedCompensationRound: row.failed_compensation_round === null ? null : Number(row.failed_compensation_round),
    operatorActionPending: Boolean(row.operator_action_pending),
    cancellationRequested: Boolean(row.cancellation_requested),
    resolutionNote: row.resolution_note,
    startedAt: isoTime(row.started_at),
    completedAt: row.completed_at === null ? null : isoTime(row.completed_at),
    updatedAt: isoTime(row.updated_at),
    lastPosition: Number(row.last_position),
  };
}

/**
 * MariaDB hands back Dates; SQLite what knex stored: epoch milliseconds, or UTC text without a
 * zone ('2024-05-01 10:00:00.000'), which must not be read as local time.
 */
export function isoTime(value: Date | string | number): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) {
    return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
  }
  return new Date(value).toISOString();
}
