import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../../../application/ports/clock';
import type {
  AlreadyCompensated,
  Catalog,
  CreatePrescriptionOutcome,
  PrescriptionsParticipant,
  StepRequest,
} from '../../../application/ports/participants';
import { serviceSqlOf } from '../../database/serviceSql';
import { StepLedger } from './stepLedger';

/**
 * Prescriptions (SPEC §4), one row per saga in `prescriptions`. Whether a medication is
 * controlled is the catalog's to say; skus the catalog does not know are left to the inventory
 * step, which rejects them with UNKNOWN_SKU.
 */
export function createBuiltinPrescriptions({
  db,
  clock,
  catalog,
}: {
  db: Knex;
  clock: Clock;
  catalog: Pick<Catalog, 'describeItems'>;
}): PrescriptionsParticipant {
  const sql = serviceSqlOf(db);
  const ledger = new StepLedger(
    sql,
    {
      table: 'prescriptions',
      succeeded: 'created',
      compensated: 'cancelled',
      columns: ['prescription_id', 'patient_id', 'prescriber_id'],
    },
    clock,
  );

  const decide = async (request: StepRequest): Promise<Exclude<CreatePrescriptionOutcome, AlreadyCompensated>> => {
    if (request.prescriberId !== null) return { outcome: 'succeeded', prescriptionId: randomUUID() };
    const items = await catalog.describeItems(request.medications.map((line) => line.sku));
    const controlled = items.filter((item) => item.controlled).map((item) => item.sku);
    if (controlled.length === 0) return { outcome: 'succeeded', prescriptionId: randomUUID() };
    return {
      outcome: 'rejected',
      code: 'PRESCRIBER_REQUIRED',
      reason: `${controlled.join(', ')} ${controlled.length === 1 ? 'is a controlled medication' : 'are controlled medications'}: the order needs a prescriberId`,
    };
  };

  return {
    createPrescription: (request) =>
      ledger.forward(request.sagaId, async () => {
        const outcome = await decide(request);
        const prescriptionId = outcome.outcome === 'succeeded' ? outcome.prescriptionId : null;
        await sql.run(ledger.record(request, outcome, [prescriptionId, request.patientId, request.prescriberId]));
        return outcome;
      }),

    cancelPrescription: async (request) => {
      const answer = await ledger.compensate(request, [], ledger.compensatedColumn(request.sagaId, 'prescription_id'));
      const [row] = answer.rows as { prescription_id: string | null }[];
      return { prescriptionId: row?.prescription_id ?? null };
    },
  };
}
