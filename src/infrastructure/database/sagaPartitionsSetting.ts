import type { Knex } from 'knex';
import { ConfigurationError } from '../config/config';

/**
 * SAGA_PARTITIONS is fixed for the life of a deployment: checkpoints and leases are per partition,
 * so two copies that split the sagas differently would each skip some. The first process records
 * its count; every later one compares its own and refuses to start on a mismatch, naming both.
 */
const settingName = 'saga_partitions';

export async function checkSagaPartitions(db: Knex, count: number): Promise<void> {
  await db('deployment_settings')
    .insert({ name: settingName, value: String(count) })
    .onConflict('name')
    .ignore();
  const row = await db('deployment_settings').where({ name: settingName }).first<{ value: string }>('value');
  const recorded = Number(row?.value);
  if (recorded !== count) {
    throw new ConfigurationError(
      'SAGA_PARTITIONS',
      `is ${count} here, but this deployment was set up with ${recorded}: start every copy with SAGA_PARTITIONS=${recorded} ` +
        '(changing it is an offline operation: see docs/operations.md, "Changing SAGA_PARTITIONS")',
      String(count),
    );
  }
}
