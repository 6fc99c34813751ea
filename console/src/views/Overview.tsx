import type { JobStats, Readiness, SagaStats, Throughput } from '../api/apiTypes';
import { sagaStates } from '../api/apiTypes';
import { ErrorNote } from '../components/ErrorNote';
import { formatDuration } from '../components/formatting';
import { StateBadge } from '../components/StateBadge';
import { ThroughputChart } from '../components/ThroughputChart';
import { usePoll } from '../live/usePoll';
import { href } from '../routing/hashRoute';
import { useSession } from '../session/session';

/**
 * The service at a glance: sagas per state, what finished over the last 15 minutes, how long
 * sagas take, how far the projection is behind, and the queue. Every number links to its list.
 */
export function Overview() {
  const { api } = useSession();
  const stats = usePoll('stats', () => api.get<SagaStats>('/sagas/stats'));
  const throughput = usePoll('throughput', () => api.get<Throughput>('/sagas/throughput?minutes=15'), 5000);
  const jobs = usePoll('jobs', () => api.get<JobStats>('/jobs/stats'));
  const ready = usePoll('ready', () => readiness(), 5000);
  const lag = projectionLag(ready.data);

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="cards">
        <article class="card" aria-labelledby="states-title">
          <h2 id="states-title">Sagas per state</h2>
          <ErrorNote error={stats.error} />
          <table class="figures">
            <tbody>
              {sagaStates.map((state) => (
                <tr key={state}>
                  <th scope="row">
                    <StateBadge state={state} />
                  </th>
                  <td>
                    <a href={href.sagas({ state })} data-testid={`count-${state}`}>
                      {stats.data?.counts[state] ?? '…'}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
        <article class="card" aria-labelledby="durations-title">
          <h2 id="durations-title">Duration, order to end</h2>
          <dl class="figures">
            {(['p50', 'p95', 'p99'] as const).map((p) => (
              <div key={p}>
                <dt>{p}</dt>
                <dd>
                  <a href={href.sagas({ scope: 'completed' })}>{formatDuration(stats.data?.durationsMs[p])}</a>
                </dd>
              </div>
            ))}
          </dl>
          <h2 id="projection-title">Projection</h2>
          <ErrorNote error={ready.error} />
          <dl class="figures">
            <div>
              <dt>lag</dt>
              <dd>
                <a href={href.sagas({ scope: 'pending' })} data-testid="projection-lag">
                  {lag === undefined ? '…' : `${lag} events`}
                </a>
              </dd>
            </div>
            <div>
              <dt>service</dt>
              <dd>{ready.data?.status ?? '…'}</dd>
            </div>
          </dl>
        </article>
        <article class="card" aria-labelledby="queue-title">
          <h2 id="queue-title">Job queue</h2>
          <ErrorNote error={jobs.error} />
          <dl class="figures">
            {(['waiting', 'active', 'delayed'] as const).map((name) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>
                  <a href={href.sagas({ scope: 'pending' })}>{jobs.data?.[name] ?? '…'}</a>
                </dd>
              </div>
            ))}
            <div>
              <dt>dead letters</dt>
              <dd>
                <a href={href.deadLetters()} data-testid="dead-letter-count">
                  {jobs.data?.deadLettered ?? '…'}
                </a>
              </dd>
            </div>
          </dl>
        </article>
      </div>
      <article class="card wide" aria-labelledby="throughput-title">
        <h2 id="throughput-title">Completions and compensations per second, last 15 minutes</h2>
        <ErrorNote error={throughput.error} />
        {throughput.data && <ThroughputChart throughput={throughput.data} />}
      </article>
    </section>
  );
}

/** GET /readyz answers 503 with the failing checks when not ready; both are worth showing. */
async function readiness(): Promise<Readiness> {
  const response = await fetch('/readyz', { cache: 'no-store', credentials: 'omit' });
  const body = (await response.json()) as Readiness & { error?: { message: string; details?: unknown } };
  if (body.error) return { status: `not ready: ${body.error.message}` };
  return body;
}

function projectionLag(ready: Readiness | undefined): number | undefined {
  const projection = ready?.checks?.projection as { lagEvents?: number } | undefined;
  return projection?.lagEvents;
}
