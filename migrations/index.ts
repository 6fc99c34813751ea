import type { Knex } from 'knex';

/**
 * Every migration, in the order it applies. Add a new one at the end with the next number; never
 * edit or reorder one that has shipped.
 */
export type Migration = Readonly<{
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}>;

export const migrations: readonly Migration[] = [];
