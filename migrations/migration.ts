import type { Knex } from 'knex';

export type Migration = Readonly<{
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}>;
