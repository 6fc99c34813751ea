import type { DeadLetterList } from '../api/apiTypes';
import { CursorPager, useCursorPages } from '../components/CursorPager';
import { ErrorNote } from '../components/ErrorNote';
import { formatTime, shortId } from '../components/formatting';
import { usePoll } from '../live/usePoll';
import { href } from '../routing/hashRoute';
import { useSession } from '../session/session';

/** Jobs that failed for good (GET /jobs/dead-letters, operator only), each linked to its saga. */
export function DeadLetters() {
  const { api } = useSession();
  const pages = useCursorPages();
  const { cursor } = pages;
  const path = `/jobs/dead-letters?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const list = usePoll(path, () => api.get<DeadLetterList>(path), 5000);
  return (
    <section aria-labelledby="dead-title">
      <h1 id="dead-title">Dead letters</h1>
      <p class="hint">
        Jobs that failed after their last try. A step's failure is recorded on its saga, which compensates; a
        compensation's sends its saga to manual review.
      </p>
      <ErrorNote error={list.error} />
      <div class="table-scroll">
        <table class="list" data-testid="dead-letters">
          <caption>Dead-lettered jobs</caption>
          <thead>
            <tr>
              <th scope="col">saga</th>
              <th scope="col">job</th>
              <th scope="col">kind</th>
              <th scope="col">tries</th>
              <th scope="col">why</th>
              <th scope="col">failed at</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((job) => (
              <tr key={job.jobId}>
                <td>
                  <a href={href.saga(job.sagaId)} title={job.sagaId}>
                    {shortId(job.sagaId)}
                  </a>
                </td>
                <td>{job.name}</td>
                <td>{job.kind}</td>
                <td>{job.attempts}</td>
                <td>{job.failedReason}</td>
                <td>{formatTime(job.failedAt)}</td>
              </tr>
            ))}
            {list.data?.items.length === 0 && (
              <tr>
                <td colSpan={6}>No dead letter.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <CursorPager
        pages={pages}
        nextCursor={list.data?.nextCursor}
        labels={{ back: 'Previous page', next: 'Next page' }}
      />
    </section>
  );
}
