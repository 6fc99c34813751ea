import type { Knex } from 'knex';
import { isUniqueViolation } from '../database/uniqueViolation';

/**
 * Durable Idempotency-Keys. `claim` is the one atomic step: the first request with a key inserts
 * its row and runs; any later one finds the row and gets the stored response, a mismatch, or
 * "still running".
 *
 * A claim still running after `abandonedAfterMs` belongs to a request whose process died: a retry
 * takes it over and runs again. That is safe because a keyed command names what it creates from
 * the key (placeOrder's ids), so running it again finds what the first try did instead of doing it
 * twice.
 */
export type IdempotencyClaim =
  | Readonly<{ kind: 'claimed' }>
  | Readonly<{ kind: 'replay'; status: number; body: unknown }>
  | Readonly<{ kind: 'mismatch' }>
  | Readonly<{ kind: 'inProgress' }>;

export interface IdempotencyStore {
  claim(keyHash: string, requestHash: string): Promise<IdempotencyClaim>;
  complete(keyHash: string, status: number, body: unknown): Promise<void>;
  /** Forgets a claim whose request failed on our side, so that a retry runs again. */
  release(keyHash: string): Promise<void>;
}

const table = 'idempotency_keys';
type Row = { key_hash: string; request_hash: string; response_status: number | null; response_body: string | null };

/** Far longer than any request runs: a claim this old was left by a process that died. */
export const abandonedClaimAfterMs = 10_000;

export function knexIdempotencyStore(
  db: Knex,
  clock: { now(): Date } = { now: () => new Date() },
  abandonedAfterMs = abandonedClaimAfterMs,
): IdempotencyStore {
  /** Takes over a claim left running by a process that died; false when someone else holds it. */
  const takeOver = async (keyHash: string): Promise<boolean> => {
    const now = clock.now();
    const taken = await db(table)
      .where({ key_hash: keyHash, response_status: null })
      .andWhere('created_at', '<', new Date(now.getTime() - abandonedAfterMs))
      .update({ created_at: now });
    return taken === 1;
  };
  return {
    async claim(keyHash, requestHash) {
      try {
        await db(table).insert({ key_hash: keyHash, request_hash: requestHash, created_at: clock.now() });
        return { kind: 'claimed' };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const row = await db<Row>(table).where({ key_hash: keyHash }).first();
      if (!row) return this.claim(keyHash, requestHash); // released in between: try again
      if (row.request_hash !== requestHash) return { kind: 'mismatch' };
      if (row.response_status === null) return (await takeOver(keyHash)) ? { kind: 'claimed' } : { kind: 'inProgress' };
      return { kind: 'replay', status: row.response_status, body: JSON.parse(row.response_body ?? 'null') };
    },
    async complete(keyHash, status, body) {
      await db(table)
        .where({ key_hash: keyHash })
        .update({ response_status: status, response_body: JSON.stringify(body) });
    },
    async release(keyHash) {
      await db(table).where({ key_hash: keyHash }).delete();
    },
  };
}
