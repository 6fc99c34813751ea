import { systemClock } from '../../../application/ports/clock';
import type { PrescriptionsParticipant } from '../../../application/ports/participants';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../../testing/testServices';
import { aStepRequest, compensationOf } from '../testing/stepRequests';
import { createBuiltinCatalog } from './builtinCatalog';
import { createBuiltinPrescriptions } from './builtinPrescriptions';

describe.each<TestDatabaseKind>(['sqlite', 'mysql'])('built-in prescriptions on %s', (kind) => {
  let database: TestDatabase;
  let prescriptions: PrescriptionsParticipant;
  const prescriptionCount = async (sagaId: string) =>
    (await database.db('prescriptions').where({ saga_id: sagaId }).whereNotNull('prescription_id')).length;

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: ['service'] });
    const catalog = createBuiltinCatalog({ db: database.db, clock: systemClock });
    await catalog.putItem('PLAIN', { name: 'Ibuprofen 200 mg tablets', onHand: 10 });
    await catalog.putItem('CTRL-1', { name: 'Oxycodone 5 mg tablets', controlled: true, onHand: 10 });
    await catalog.putItem('CTRL-2', { name: 'Alprazolam 0.5 mg tablets', controlled: true, onHand: 10 });
    prescriptions = createBuiltinPrescriptions({ db: database.db, clock: systemClock, catalog });
  });
  afterAll(() => database.drop());

  it('creates a prescription with a generated id', async () => {
    const request = aStepRequest({ medications: [{ sku: 'CTRL-1', quantity: 1 }] });
    expect(await prescriptions.createPrescription(request)).toEqual({
      outcome: 'succeeded',
      prescriptionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
  });

  it('needs no prescriber when nothing is controlled (unknown skus are the inventory step’s concern)', async () => {
    const request = aStepRequest({
      prescriberId: null,
      medications: [
        { sku: 'PLAIN', quantity: 1 },
        { sku: 'GHOST', quantity: 1 },
      ],
    });
    expect(await prescriptions.createPrescription(request)).toMatchObject({ outcome: 'succeeded' });
  });

  it('rejects with PRESCRIBER_REQUIRED when any medication is controlled and there is no prescriber', async () => {
    const request = aStepRequest({
      prescriberId: null,
      medications: [
        { sku: 'PLAIN', quantity: 1 },
        { sku: 'CTRL-2', quantity: 1 },
        { sku: 'CTRL-1', quantity: 1 },
      ],
    });
    const outcome = await prescriptions.createPrescription(request);
    expect(outcome).toEqual({
      outcome: 'rejected',
      code: 'PRESCRIBER_REQUIRED',
      reason: expect.stringContaining('prescriberId'),
    });
    expect(outcome.outcome === 'rejected' && outcome.reason).toMatch(/CTRL-1, CTRL-2/);
    expect(await prescriptionCount(request.sagaId)).toBe(0);
  });

  it('a redelivered request creates one prescription and answers with the same id', async () => {
    const request = aStepRequest();
    const outcomes = await Promise.all([1, 2, 3].map(() => prescriptions.createPrescription(request)));
    const later = await prescriptions.createPrescription(request);

    for (const outcome of [...outcomes, later]) expect(outcome).toEqual(outcomes[0]);
    expect(await prescriptionCount(request.sagaId)).toBe(1);
  });

  it('cancels once; a redelivered cancel answers the same', async () => {
    const request = aStepRequest();
    const created = await prescriptions.createPrescription(request);
    if (created.outcome !== 'succeeded') throw new Error('expected a prescription');

    expect(await prescriptions.cancelPrescription(compensationOf(request))).toEqual({
      prescriptionId: created.prescriptionId,
    });
    expect(await prescriptions.cancelPrescription(compensationOf(request))).toEqual({
      prescriptionId: created.prescriptionId,
    });
    expect(await prescriptions.createPrescription(request)).toEqual({ outcome: 'alreadyCompensated' });
    expect((await database.db('prescriptions').where({ saga_id: request.sagaId }).first()).status).toBe('cancelled');
  });

  it('a cancel that overtakes the create leaves a tombstone: the late create does nothing', async () => {
    const request = aStepRequest();
    expect(await prescriptions.cancelPrescription(compensationOf(request))).toEqual({ prescriptionId: null });
    expect(await prescriptions.createPrescription(request)).toEqual({ outcome: 'alreadyCompensated' });
    expect(await prescriptions.cancelPrescription(compensationOf(request))).toEqual({ prescriptionId: null });
    expect(await prescriptionCount(request.sagaId)).toBe(0);
  });

  it('cancelling a rejected prescription has nothing to cancel, and the rejection still replays', async () => {
    const request = aStepRequest({ prescriberId: null, medications: [{ sku: 'CTRL-1', quantity: 1 }] });
    const rejected = await prescriptions.createPrescription(request);
    expect(await prescriptions.cancelPrescription(compensationOf(request))).toEqual({ prescriptionId: null });
    expect(await prescriptions.createPrescription(request)).toEqual(rejected);
  });
});
