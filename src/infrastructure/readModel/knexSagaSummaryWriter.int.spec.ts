import type { SagaSummary } from '../../application/projections/sagaSummary';
import { startTestService, type TestService } from '../app/testing/testService';
import { knexSagaSummaryWriter } from './knexSagaSummaryWriter';
import { liveSagasTable } from './sagaSummaryRows';

const summary: SagaSummary = {
  sagaId: '0b7f6c1e-9a7d-4f4e-8a53-2f0c1d9e8b71',
  orderId: '5d2c8f9a-1b3e-5c7d-9e0f-a1b2c3d4e5f6',
  createdPosition: 3,
  state: 'PENDING_PRESCRIPTION',
  currentStep: 'CreatePrescription',
  compensationStack: [],
  failedStep: null,
  failureCode: null,
  failureReason: null,
  failedCompensation: null,
  failedCompensationRound: null,
  operatorActionPending: false,
  cancellationRequested: false,
  resolutionNote: null,
  startedAt: '2024-05-01T10:00:00.000Z',
  completedAt: null,
  updatedAt: '2024-05-01T10:00:00.000Z',
  lastPosition: 3,
};

describe.each(['sqlite', 'mysql'] as const)('knexSagaSummaryWriter on %s', (kind) => {
  let harness: TestService;
  beforeEach(async () => {
    harness = await startTestService(kind);
  });
  afterEach(() => harness.dispose());

  it('inserts, replaces with a later summary, and never lets a stale one undo it', async () => {
    const writer = knexSagaSummaryWriter(harness.service.serviceDb, liveSagasTable);
    const other = { ...summary, sagaId: 'c3a1e2f4-5b6d-4e7f-8a9b-0c1d2e3f4a5b', createdPosition: 4, lastPosition: 4 };
    await writer.save([summary, other]);
    const completed: SagaSummary = {
      ...summary,
      state: 'COMPLETED',
      currentStep: null,
      compensationStack: ['CancelOrder', 'CancelPrescription'],
      completedAt: '2024-05-01T10:00:09.000Z',
      updatedAt: '2024-05-01T10:00:09.000Z',
      lastPosition: 9,
    };
    await writer.save([completed]);
    await writer.save([{ ...summary, state: 'PENDING_INVENTORY_RESERVATION', lastPosition: 5 }]);

    const loaded = await writer.load([summary.sagaId, other.sagaId, 'unknown']);
    expect(loaded.get(summary.sagaId)).toEqual(completed);
    expect(loaded.get(other.sagaId)).toEqual(other);
    expect(loaded.has('unknown')).toBe(false);
  });

  it('writes more rows than one statement holds', async () => {
    const writer = knexSagaSummaryWriter(harness.service.serviceDb, liveSagasTable);
    const many = Array.from({ length: 1203 }, (_, i) => ({
      ...summary,
      sagaId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      createdPosition: i + 1,
      lastPosition: i + 1,
    }));
    await writer.save(many);
    const rows = await harness.service.serviceDb(liveSagasTable).count({ n: '*' }).first();
    expect(Number((rows as { n: number | string }).n)).toBe(many.length);
  });
});
