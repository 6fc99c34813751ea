import { Command, InvalidArgumentError, Option } from 'commander';
import { sagaScopes, type SagaScope } from '../../application/queries/sagaReadModel';
import { sagaStates, type SagaState } from '../../domain/saga/sagaVocabulary';
import { loadConfig } from '../config/config';
import { ApiError, createApiClient, type ApiClient, type SagaStatus } from './apiClient';
import { resolveApiConnection } from './apiConnection';
import { changeText, sagaListText, sagaStatusText, timelineText } from './sagaOutput';

/**
 * `fulfillment sagas …` (SPEC §7): the operator verbs, over the HTTP API of a running service, so
 * they need no database access and act with the service's own rules (roles, 409s, idempotency).
 * Tables for people, the API's JSON with --json; a failure prints the API's error message and code
 * and exits non-zero (runCli).
 */
type ConnectionFlags = Readonly<{ url?: string; token?: string; json?: boolean }>;

export function sagaCommands(): Command {
  const sagas = new Command('sagas').description('see and act on sagas through the HTTP API of a running service');

  withConnection(sagas.command('list'))
    .description('sagas by state or scope, newest first')
    .addOption(new Option('--state <state>', 'only sagas in this state').choices([...sagaStates]))
    .addOption(new Option('--scope <scope>', 'pending, failed or completed').choices([...sagaScopes]))
    .option('--limit <n>', 'sagas per page (1-200)', wholeNumber, 50)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(
      async (options: ConnectionFlags & { state?: SagaState; scope?: SagaScope; limit: number; cursor?: string }) => {
        const page = await clientOf(options).listSagas({
          state: options.state,
          scope: options.scope,
          limit: options.limit,
          cursor: options.cursor,
        });
        if (options.json) return printJson(page);
        console.log(sagaListText(page.items));
        if (page.nextCursor) console.log(`\nmore: add --cursor ${page.nextCursor}`);
      },
    );

  withConnection(sagas.command('show'))
    .description("a saga's status and the timeline of its events (by saga id or order id)")
    .argument('<id>', 'saga id or order id')
    .action(async (id: string, options: ConnectionFlags) => {
      const client = clientOf(options);
      const saga = await sagaByIdOrOrderId(client, id);
      const { events } = await client.sagaEvents(saga.sagaId);
      if (options.json) return printJson({ saga, events });
      console.log(`${sagaStatusText(saga)}\n\n${timelineText(events)}`);
    });

  withConnection(sagas.command('retry'))
    .description('retry the failed compensation of a saga in MANUAL_REVIEW')
    .argument('<sagaId>')
    .action(async (sagaId: string, options: ConnectionFlags) => {
      const accepted = await clientOf(options).retrySaga(sagaId);
      if (options.json) return printJson(accepted);
      console.log(
        `retry requested: saga ${accepted.sagaId} runs ${accepted.compensation ?? 'its failed compensation'} again`,
      );
    });

  withConnection(sagas.command('resolve'))
    .description('mark a saga in MANUAL_REVIEW resolved by hand: it ends CANCELLED with the note')
    .argument('<sagaId>')
    .requiredOption('--note <note>', 'what was done by hand (kept with the saga)')
    .action(async (sagaId: string, options: ConnectionFlags & { note: string }) => {
      const accepted = await clientOf(options).resolveSaga(sagaId, options.note);
      if (options.json) return printJson(accepted);
      console.log(`resolution recorded: saga ${accepted.sagaId} ends CANCELLED with the note`);
    });

  withConnection(sagas.command('tail'))
    .description('print sagas as they change, from now on, until interrupted')
    .option('--interval <ms>', 'how often to ask the service', wholeNumber, 1000)
    .action(async (options: ConnectionFlags & { interval: number }) => {
      const connection = resolveApiConnection(options, loadConfig());
      console.error(`following saga changes at ${connection.url} from now on (Ctrl-C stops)`);
      await tailChanges(createApiClient(connection), options.interval, (saga) =>
        console.log(options.json ? JSON.stringify(saga) : changeText(saga)),
      );
    });

  return sagas;
}

function withConnection(command: Command): Command {
  return command
    .option('--url <url>', 'the service (default: FULFILLMENT_URL, else http://127.0.0.1:$PORT)')
    .option('--token <token>', "an operator token (default: FULFILLMENT_TOKEN, else the service's generated one)")
    .option('--json', "print the API's JSON instead of a table");
}

const clientOf = (flags: ConnectionFlags): ApiClient => createApiClient(resolveApiConnection(flags, loadConfig()));

const printJson = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function wholeNumber(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number.');
  return Number(text);
}

/** Order ids and saga ids are both UUIDs: a saga id is tried first, then an order id. */
async function sagaByIdOrOrderId(client: ApiClient, id: string): Promise<SagaStatus> {
  try {
    return await client.getSaga(id);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  try {
    return (await client.getOrder(id)).saga;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      throw new ApiError(404, 'NOT_FOUND', `no saga and no order has the id ${id}`);
    throw error;
  }
}

/**
 * Polls GET /sagas/changes from now on. A full page is followed at once; otherwise the next poll
 * waits `intervalMs` (and, with nothing new, costs the service an empty 304). While the service
 * is unreachable or answers 5xx, the tail says so on stderr and keeps trying; any other error ends
 * it (a revoked token would otherwise be retried for ever).
 */
async function tailChanges(client: ApiClient, intervalMs: number, print: (saga: SagaStatus) => void): Promise<never> {
  const pageSize = 500;
  let cursor: string | undefined;
  for (;;) {
    let full = false;
    try {
      if (cursor === undefined) cursor = (await client.sagaChanges({})).nextCursor;
      else {
        const page = await client.sagaChanges({ after: cursor, limit: pageSize });
        page.items.forEach(print);
        cursor = page.nextCursor;
        full = page.items.length === pageSize;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) throw error;
      console.error(`${(error as Error).message}; trying again`);
    }
    if (!full) await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
