import { streamName } from '../../domain/events';
import {
  allEvents,
  recordEvent,
  reports,
  startTestService,
  validOrder,
  type TestService,
} from '../../infrastructure/app/testing/testService';
import type { TestDatabaseKind } from '../../testing/testServices';
import { placeOrder } from '../commands/placeOrder';
import { jobIdOf, type JobQueue } from '../ports/jobQueue';
import { silentLogger } from '../ports/logger';
import type { QueuedJob } from './sagaIntentJobs';
import { createSagaReactor } from './sagaReactor';

/**
 * A reactor killed after its appends but before its checkpoint has its batch redelivered to the
 * next one; that batch may be longer than the one it handled (the log grew meanwhile). The new
 * reactor sees the saga as new (its OrderCreated is in the batch), appends what was stored already
 * followed by what is new, is told the stream moved on, and must load the saga and go on. Before
 * the stores said so, they answered "event ids reused", which the follower retried for ever: every
 * saga behind that batch was stranded (seen after a SIGKILL of the reactor, roles apart).
 */
describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('the saga reactor on %s', (kind) => {
  let harness: TestService;
  beforeEach(async () => {
    harness = await startTestService(kind);
  });
  afterEach(() => harness.dispose());

  const reactorSending = (sent: QueuedJob[]) =>
    createSagaReactor({
      eventStore: harness.service.eventStore,
      jobQueue: { enqueueMany: async (jobs: readonly QueuedJob[]) => void sent.push(...jobs) } as unknown as JobQueue,
      definition: harness.service.sagaDefinition,
      clock: harness.service.clock,
      logger: silentLogger,
    });

  it('goes on from a redelivered batch longer than the one a killed reactor handled', async () => {
    const { eventStore } = harness.service;
    const placed = await placeOrder(harness.service.commands, validOrder(), { causationId: 'test', actor: 'test' });
    await reactorSending([]).handleBatch(await allEvents(eventStore));
    const { stream, event } = reports.prescriptionCreated(placed);
    await recordEvent(eventStore, stream, event);

    const sent: QueuedJob[] = [];
    await reactorSending(sent).handleBatch(await allEvents(eventStore));

    const sagaEvents = await eventStore.readStream(streamName.saga(placed.sagaId));
    expect(sagaEvents.filter((e) => e.type === 'SagaStateChanged').map((e) => e.data)).toEqual([
      expect.objectContaining({ to: 'PENDING_PRESCRIPTION' }),
      expect.objectContaining({ to: 'PENDING_INVENTORY_RESERVATION' }),
    ]);
    expect(sagaEvents.filter((e) => e.type === 'SagaStarted')).toHaveLength(1);
    // The first job again (same id, which the queue ignores), and the one the new input asks for.
    expect(sent.map(({ job }) => jobIdOf(job))).toEqual([
      `${placed.sagaId}-CreatePrescription`,
      `${placed.sagaId}-ReserveInventory`,
    ]);
  });
});
