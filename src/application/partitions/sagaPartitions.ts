/**
 * Sagas are spread over a fixed number of partitions (SAGA_PARTITIONS) by a stable hash of the
 * saga id, so that reactor and projection copies can share the log: a copy follows only the
 * partitions it holds a lease on, and one saga's events always fall in one partition, handled in
 * order by one owner at a time.
 *
 * The store keeps each event's 32-bit hash rather than its partition, so the hash never depends on
 * the partition count: changing the count (an offline operation) rewrites no event.
 */

/** FNV-1a, 32 bits, over the id's UTF-16 code units: stable across processes, hosts and versions. */
export function sagaHash(sagaId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < sagaId.length; index++) {
    hash ^= sagaId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export const partitionOfHash = (hash: number, partitions: number): number => hash % partitions;

export const sagaPartitionOf = (sagaId: string, partitions: number): number =>
  partitionOfHash(sagaHash(sagaId), partitions);

/**
 * The key an event is partitioned by: its saga (every event of the catalog names one in
 * `data.sagaId`); an event that names none falls back to its stream.
 */
export function partitionKeyOf(event: Readonly<{ data?: unknown }>, stream: string): string {
  const sagaId = (event.data as { sagaId?: unknown } | undefined)?.sagaId;
  return typeof sagaId === 'string' ? sagaId : stream;
}

/** Which partitions a follower reads: `owned` of `count`. */
export type PartitionFilter = Readonly<{ count: number; owned: readonly number[] }>;

/** Every partition of a deployment, 0 to count − 1. */
export const allPartitions = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

/** Where a follower keeps one partition's checkpoint: `sagaReactor/3`. */
export const partitionCheckpointName = (follower: string, partition: number): string => `${follower}/${partition}`;

/**
 * Each partition's checkpoint, read through `load`. A partition never followed on its own starts
 * where the follower's single checkpoint of before left it, so a deployment that upgrades to
 * partitions goes on where it was.
 */
export async function loadPartitionCheckpoints(
  follower: string,
  partitions: readonly number[],
  load: (checkpointName: string) => Promise<number>,
): Promise<Map<number, number>> {
  const before = await load(follower);
  const loaded = await Promise.all(
    partitions.map(async (partition) => {
      const own = await load(partitionCheckpointName(follower, partition));
      return [partition, own > 0 ? own : before] as const;
    }),
  );
  return new Map(loaded);
}
