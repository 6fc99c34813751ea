import type { Knex } from 'knex';
import type {
  Heartbeat,
  Lease,
  LeaseHolder,
  LeaseRow,
  PartitionLeaseStore,
} from '../../application/ports/partitionLeases';

/**
 * Partition leases in the service database (migration 006): the same code on MariaDB, where many
 * copies share them, and on SQLite, where the one process that owns the file holds them all.
 * Expiry is judged by the database's clock (`nowMs`), never a host's. Taking a lease is one
 * conditional UPDATE (free or expired), which raises the fencing token.
 */
export function knexPartitionLeases(db: Knex): PartitionLeaseStore {
  const mysql = /mysql/.test(String(db.client.config.client));
  const nowMs = db.raw(
    mysql
      ? 'CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)'
      : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
  );
  const expiresIn = (ttlMs: number) => db.raw(`${nowMs.toString()} + ?`, [ttlMs]);
  const leases = () => db('partition_leases');
  const heldBy = ({ follower, owner }: LeaseHolder) => leases().where({ follower, owner });

  return {
    async prepare(follower, partitions) {
      const rows = Array.from({ length: partitions }, (_, partition) => ({ follower, saga_partition: partition }));
      await leases().insert(rows).onConflict(['follower', 'saga_partition']).ignore();
    },

    async heartbeat(holder, held, ttlMs): Promise<Heartbeat> {
      await db('partition_members')
        .insert({ ...holder, expires_at_ms: expiresIn(ttlMs) })
        .onConflict(['follower', 'owner'])
        .merge(['expires_at_ms']);
      if (held.length > 0) {
        await heldBy(holder)
          .whereIn(
            'saga_partition',
            held.map((lease) => lease.partition),
          )
          .update({ expires_at_ms: expiresIn(ttlMs) });
      }
      const [still, live] = await Promise.all([
        heldBy(holder).select<{ saga_partition: number; token: number | string }[]>('saga_partition', 'token'),
        db('partition_members')
          .where({ follower: holder.follower })
          .where('expires_at_ms', '>=', nowMs)
          .count<{ copies: number | string }[]>({ copies: '*' }),
      ]);
      const tokens = new Map(still.map((row) => [Number(row.saga_partition), Number(row.token)]));
      return {
        liveCopies: Number(live[0]?.copies ?? 1),
        held: held.filter((lease) => tokens.get(lease.partition) === lease.token),
      };
    },

    async acquire(holder, candidates, max, ttlMs) {
      const taken: Lease[] = [];
      for (const partition of candidates) {
        if (taken.length >= max) break;
        const updated = await leases()
          .where({ follower: holder.follower, saga_partition: partition })
          .andWhere((free) => free.whereNull('owner').orWhere('expires_at_ms', '<', nowMs))
          .update({ owner: holder.owner, token: db.raw('token + 1'), expires_at_ms: expiresIn(ttlMs) });
        if (updated !== 1) continue;
        const row = await heldBy(holder)
          .where({ saga_partition: partition })
          .first<{ token: number | string }>('token');
        if (row) taken.push({ partition, token: Number(row.token) });
      }
      return taken;
    },

    async release(holder, released) {
      for (const { partition, token } of released) {
        await heldBy(holder).where({ saga_partition: partition, token }).update({ owner: null, expires_at_ms: 0 });
      }
    },

    async leave(holder) {
      await db('partition_members').where(holder).delete();
    },

    async table(): Promise<LeaseRow[]> {
      const rows = await leases()
        .select(
          'follower',
          'saga_partition',
          'owner',
          'token',
          db.raw(`expires_at_ms - ${nowMs.toString()} AS expires_in_ms`),
        )
        .orderBy(['follower', 'saga_partition']);
      return rows.map((row: Record<string, unknown>) => ({
        follower: String(row.follower),
        partition: Number(row.saga_partition),
        owner: (row.owner as string | null) ?? null,
        token: Number(row.token),
        expiresInMs: Number(row.expires_in_ms),
      }));
    },
  };
}
