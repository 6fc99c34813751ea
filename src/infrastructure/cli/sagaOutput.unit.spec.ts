import type { SagaStatus } from './apiClient';
import { changeText, sagaListText, sagaStatusText, timelineText } from './sagaOutput';

const saga: SagaStatus = {
  sagaId: 'saga-1',
  orderId: 'order-1',
  state: 'MANUAL_REVIEW',
  currentStep: null,
  compensationStack: ['CancelOrder', 'CancelPrescription'],
  failedStep: 'ReserveInventory',
  failureCode: 'INSUFFICIENT_STOCK',
  failureReason: 'CancelPrescription failed: participant down',
  failedCompensation: 'CancelPrescription',
  cancellationRequested: false,
  resolutionNote: null,
  startedAt: '2026-01-01T10:00:00.000Z',
  completedAt: null,
  updatedAt: '2026-01-01T10:00:02.000Z',
};

describe('what the operator verbs print', () => {
  it('lists sagas as aligned columns, the failure last', () => {
    const other = { ...saga, sagaId: 'saga-10', state: 'COMPLETED' as const, failedStep: null, failureReason: null };
    expect(sagaListText([saga, other]).split('\n')).toEqual([
      'SAGA     ORDER    STATE          STEP  UPDATED                   FAILURE',
      'saga-1   order-1  MANUAL_REVIEW  -     2026-01-01T10:00:02.000Z  ReserveInventory INSUFFICIENT_STOCK CancelPrescription failed: participant down',
      'saga-10  order-1  COMPLETED      -     2026-01-01T10:00:02.000Z',
    ]);
    expect(sagaListText([])).toBe('no sagas match');
  });

  it('shows a status with only the fields that say something, the stack bottom to top', () => {
    const text = sagaStatusText(saga);
    expect(text).toContain('compensations        CancelOrder → CancelPrescription (bottom → top)');
    expect(text).toContain('failed compensation  CancelPrescription');
    expect(text).not.toContain('completed');
    expect(text).not.toContain('resolution note');
  });

  it('shows a timeline with the time since the first event and what each event says', () => {
    const event = (position: number, at: string, type: string, data: object) => ({
      position,
      stream: `${position === 1 ? 'order' : 'orderFulfillmentSaga'}-saga-1`,
      type,
      data,
      metadata: { occurredAt: at },
    });
    const lines = timelineText([
      event(1, '2026-01-01T10:00:00.000Z', 'OrderCreated', {}),
      event(4, '2026-01-01T10:00:01.250Z', 'SagaStateChanged', {
        from: 'COMPENSATING',
        to: 'MANUAL_REVIEW',
        currentStep: null,
      }),
      event(5, '2026-01-01T10:00:02.000Z', 'SagaResolvedManually', { note: 'refunded' }),
    ]).split('\n');
    expect(lines[0]).toMatch(/^POSITION\s+OCCURRED AT\s+ELAPSED\s+STREAM\s+TYPE\s+DETAIL$/);
    expect(lines[1]).toMatch(/^1\s+2026-01-01T10:00:00.000Z\s+\+0.000s\s+order\s+OrderCreated$/);
    expect(lines[2]).toMatch(/\+1.250s\s+orderFulfillmentSaga\s+SagaStateChanged\s+COMPENSATING → MANUAL_REVIEW$/);
    expect(lines[3]).toMatch(/SagaResolvedManually\s+refunded$/);
  });

  it('prints one line per change for tail', () => {
    expect(
      changeText({
        ...saga,
        state: 'PENDING_SHIPMENT',
        currentStep: 'InitiateShipment',
        failedStep: null,
        failureReason: null,
      }),
    ).toBe('2026-01-01T10:00:02.000Z  saga-1  PENDING_SHIPMENT InitiateShipment');
  });
});
