import type { SagaList as SagaListBody } from '../api/apiTypes';
import { sagaScopes, sagaStates } from '../api/apiTypes';
import { CursorPager, useCursorPages } from '../components/CursorPager';
import { ErrorNote } from '../components/ErrorNote';
import { formatTime, shortId } from '../components/formatting';
import { StateBadge } from '../components/StateBadge';
import { usePoll } from '../live/usePoll';
import { href } from '../routing/hashRoute';
import { useSession } from '../session/session';
import { SagaSearch } from './SagaSearch';

type Props = Readonly<{ state?: string | undefined; scope?: string | undefined }>;

/**
 * GET /sagas by state or scope, newest first, a page at a time (the cursor of each page kept so
 * that "previous" works), the page on screen asked again every poll (a conditional GET). Mounted
 * afresh for each filter (App keys it), so a new filter starts on its first page.
 */
export function SagaList({ state, scope }: Props) {
  const { api } = useSession();
  const pages = useCursorPages();
  const { cursor } = pages;
  const query = new URLSearchParams({ limit: '25' });
  if (state) query.set('state', state);
  if (scope) query.set('scope', scope);
  if (cursor) query.set('cursor', cursor);
  const path = `/sagas?${query}`;
  const list = usePoll(path, () => api.get<SagaListBody>(path));

  const choose = (filter: { state?: string; scope?: string }) => (location.hash = href.sagas(filter));

  return (
    <section aria-labelledby="sagas-title">
      <h1 id="sagas-title">Sagas</h1>
      <SagaSearch />
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          State{' '}
          <select
            value={state ?? ''}
            onChange={(event) => choose({ state: (event.target as HTMLSelectElement).value || '' })}
          >
            <option value="">any</option>
            {sagaStates.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Scope{' '}
          <select
            value={scope ?? ''}
            onChange={(event) => choose({ scope: (event.target as HTMLSelectElement).value || '' })}
          >
            <option value="">any</option>
            {sagaScopes.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={list.error} />
      <div class="table-scroll">
        <table class="list collapsible" data-testid="saga-list">
          <caption>
            {state ? `In ${state}` : scope ? `Scope ${scope}` : 'Every saga'}, newest first, refreshed every few seconds
          </caption>
          <thead>
            <tr>
              <th scope="col">saga</th>
              <th scope="col">order</th>
              <th scope="col">state</th>
              <th scope="col">step</th>
              <th scope="col">failure</th>
              <th scope="col">started</th>
              <th scope="col">updated</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((saga) => (
              <tr key={saga.sagaId} data-order-id={saga.orderId}>
                <td>
                  <a href={href.saga(saga.sagaId)} title={saga.sagaId}>
                    {shortId(saga.sagaId)}
                  </a>
                </td>
                <td class="mono" title={saga.orderId}>
                  {shortId(saga.orderId)}
                </td>
                <td>
                  <StateBadge state={saga.state} />
                </td>
                <td>{saga.currentStep ?? '—'}</td>
                <td>{saga.failureCode ?? '—'}</td>
                <td>{formatTime(saga.startedAt)}</td>
                <td>{formatTime(saga.updatedAt)}</td>
              </tr>
            ))}
            {list.data?.items.length === 0 && (
              <tr>
                <td colSpan={7}>No saga here.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <CursorPager
        pages={pages}
        nextCursor={list.data?.nextCursor}
        labels={{ back: 'Newer', next: 'Older' }}
        showPage
      />
    </section>
  );
}
