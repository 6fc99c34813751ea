import type { SagaEvent, SagaList } from '../api/apiTypes';
import { ConfirmedAction } from '../components/ConfirmedAction';
import { ErrorNote } from '../components/ErrorNote';
import { formatTime } from '../components/formatting';
import { usePoll } from '../live/usePoll';
import { href } from '../routing/hashRoute';
import { useSession } from '../session/session';
import { operatorOnly } from './operatorOnly';

/**
 * Every saga waiting for an operator, oldest first: the compensation that failed and why (its
 * SagaCompensationFailed event), with retry and resolve beside it.
 */
export function ManualReview() {
  const { api } = useSession();
  const list = usePoll('review', async () => {
    const items = [];
    let cursor: string | null = null;
    // Newest first, a page at a time: read them all (the list is short when all is well), then turn it.
    do {
      const page: SagaList = await api.get<SagaList>(
        `/sagas?state=MANUAL_REVIEW&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < 1000);
    return items.reverse();
  });

  return (
    <section aria-labelledby="review-title">
      <h1 id="review-title">Manual review</h1>
      <p class="hint">
        A compensation failed after its retries and unwinding stopped. Retry it once its cause is fixed, or undo the
        rest by hand and resolve the saga with a note: it then ends CANCELLED.
      </p>
      <ErrorNote error={list.error} />
      {list.data?.length === 0 && <p data-testid="review-empty">No saga waits for an operator.</p>}
      <ol class="review-list" data-testid="review-list">
        {list.data?.map((saga) => (
          <li key={saga.sagaId} data-saga-id={saga.sagaId}>
            <ReviewItem sagaId={saga.sagaId} orderId={saga.orderId} since={saga.updatedAt} onDone={list.refresh} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function ReviewItem({
  sagaId,
  orderId,
  since,
  onDone,
}: {
  sagaId: string;
  orderId: string;
  since: string;
  onDone(): void;
}) {
  const { api, role } = useSession();
  const events = usePoll(
    `review-events:${sagaId}`,
    () => api.get<{ events: SagaEvent[] }>(`/sagas/${sagaId}/events`),
    10_000,
  );
  const failure = events.data?.events.findLast((event) => event.type === 'SagaCompensationFailed');
  const blocked = operatorOnly(role);
  return (
    <article class="card" aria-label={`Saga ${sagaId}`}>
      <h2>
        <a href={href.saga(sagaId)}>Saga {sagaId}</a>
      </h2>
      <p>
        Order <span class="mono">{orderId}</span>, waiting since {formatTime(since)}.
      </p>
      <ErrorNote error={events.error} />
      {failure && (
        <p data-testid="failed-compensation">
          <strong>{String(failure.data.compensation)}</strong> failed: {String(failure.data.reason)}
        </p>
      )}
      <div class="actions">
        <ConfirmedAction
          label="Retry the compensation"
          question={`Run ${String(failure?.data.compensation ?? 'the failed compensation')} again?`}
          disabledReason={blocked}
          run={() => api.send('POST', `/sagas/${sagaId}/retry`, {})}
          onDone={onDone}
        />
        <ConfirmedAction
          label="Resolve by hand"
          question="Mark this saga resolved by hand? It ends CANCELLED with your note."
          noteLabel="What was done by hand"
          disabledReason={blocked}
          run={(note) => api.send('POST', `/sagas/${sagaId}/resolve`, { note })}
          onDone={onDone}
        />
      </div>
    </article>
  );
}
