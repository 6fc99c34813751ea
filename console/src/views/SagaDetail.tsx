import type { Order, SagaDefinition, SagaEvent, SagaStatus } from '../api/apiTypes';
import { ConfirmedAction } from '../components/ConfirmedAction';
import { ErrorNote } from '../components/ErrorNote';
import { formatTime } from '../components/formatting';
import { ParticipantReports } from '../components/ParticipantReports';
import { StateBadge } from '../components/StateBadge';
import { StateMachineDiagram } from '../components/StateMachineDiagram';
import { Timeline } from '../components/Timeline';
import { usePoll } from '../live/usePoll';
import { useSession } from '../session/session';
import { operatorOnly } from './operatorOnly';

const finalStates = new Set(['COMPLETED', 'CANCELLED']);

/**
 * One saga: its status, its path on the state machine, every event of it and its order, the
 * compensation stack, what each participant reported, and the actions its state allows.
 * Refreshed live while it is open.
 */
export function SagaDetail({ sagaId }: { sagaId: string }) {
  const { api, role } = useSession();
  const status = usePoll(`saga:${sagaId}`, () => api.get<SagaStatus>(`/sagas/${sagaId}`));
  const events = usePoll(`events:${sagaId}`, () => api.get<{ events: SagaEvent[] }>(`/sagas/${sagaId}/events`));
  const orderId = status.data?.orderId;
  const order = usePoll(`order:${orderId ?? ''}`, () =>
    orderId ? api.get<Order>(`/orders/${orderId}`) : Promise.resolve(undefined),
  );
  const definition = usePoll('definition', () => api.get<SagaDefinition>('/saga-definition'), 60_000);
  const refresh = () => {
    status.refresh();
    events.refresh();
    order.refresh();
  };

  const saga = status.data;
  if (!saga) {
    return (
      <section aria-labelledby="saga-title">
        <h1 id="saga-title">Saga {sagaId}</h1>
        <ErrorNote error={status.error} />
        {!status.error && <p>Loading…</p>}
      </section>
    );
  }
  const path = (events.data?.events ?? [])
    .filter((event) => event.type === 'SagaStateChanged')
    .map((event) => ({ from: String(event.data.from ?? ''), to: String(event.data.to) }))
    .filter((step) => step.from !== step.to);
  const blocked = operatorOnly(role);
  const inReview = saga.state === 'MANUAL_REVIEW';

  return (
    <section aria-labelledby="saga-title" data-saga-id={saga.sagaId}>
      <h1 id="saga-title">
        Saga <span class="mono">{saga.sagaId}</span> <StateBadge state={saga.state} />
      </h1>
      <ErrorNote error={status.error} />
      <dl class="facts" data-testid="saga-facts">
        <div>
          <dt>order</dt>
          <dd class="mono" data-testid="order-id">
            {saga.orderId}
          </dd>
        </div>
        <div>
          <dt>state</dt>
          <dd data-testid="saga-state">{saga.state}</dd>
        </div>
        <div>
          <dt>current step</dt>
          <dd>{saga.currentStep ?? '—'}</dd>
        </div>
        <div>
          <dt>started</dt>
          <dd>{formatTime(saga.startedAt)}</dd>
        </div>
        <div>
          <dt>ended</dt>
          <dd>{formatTime(saga.completedAt)}</dd>
        </div>
        <div>
          <dt>failed step</dt>
          <dd data-testid="failed-step">{saga.failedStep ?? '—'}</dd>
        </div>
        <div class="wide">
          <dt>failure</dt>
          <dd data-testid="failure">{saga.failureCode ? `${saga.failureCode}: ${saga.failureReason ?? ''}` : '—'}</dd>
        </div>
        {saga.failedCompensation && (
          <div>
            <dt>failed compensation</dt>
            <dd data-testid="failed-compensation">{saga.failedCompensation}</dd>
          </div>
        )}
        {saga.resolutionNote && (
          <div class="wide">
            <dt>resolution note</dt>
            <dd data-testid="resolution-note">{saga.resolutionNote}</dd>
          </div>
        )}
      </dl>

      <div class="actions" aria-label="Actions">
        <ConfirmedAction
          label="Cancel the order"
          question={`Cancel order ${saga.orderId}? What has succeeded so far is undone, last in first out.`}
          disabledReason={blocked}
          outdated={
            finalStates.has(saga.state) ? `The saga is ${saga.state} now: nothing is left to cancel.` : undefined
          }
          run={() => api.send('POST', `/orders/${saga.orderId}/cancel`, { reason: 'cancelled from the console' })}
          onDone={refresh}
        />
        <ConfirmedAction
          label="Retry the compensation"
          question={`Run ${saga.failedCompensation ?? 'the failed compensation'} again? Unwinding continues if it succeeds.`}
          disabledReason={blocked}
          outdated={inReview ? undefined : `The saga is ${saga.state} now, not MANUAL_REVIEW.`}
          run={() => api.send('POST', `/sagas/${saga.sagaId}/retry`, {})}
          onDone={refresh}
        />
        <ConfirmedAction
          label="Resolve by hand"
          question="Mark this saga resolved by hand? It ends CANCELLED with your note; nothing more is undone for you."
          noteLabel="What was done by hand"
          disabledReason={blocked}
          outdated={inReview ? undefined : `The saga is ${saga.state} now, not MANUAL_REVIEW.`}
          run={(note) => api.send('POST', `/sagas/${saga.sagaId}/resolve`, { note })}
          onDone={refresh}
        />
      </div>

      <h2>State machine</h2>
      <ErrorNote error={definition.error} />
      {definition.data && <StateMachineDiagram definition={definition.data} path={path} current={saga.state} />}

      <div class="columns">
        <div>
          <h2>Compensation stack</h2>
          <p class="hint">Bottom to top; unwinding runs them from the top.</p>
          {saga.compensationStack.length === 0 ? (
            <p>Empty.</p>
          ) : (
            <ol class="stack" data-testid="compensation-stack" reversed>
              {[...saga.compensationStack].reverse().map((name) => (
                <li key={name}>{name}</li>
              ))}
            </ol>
          )}
        </div>
        <div>
          <h2>What each participant reported</h2>
          <ErrorNote error={order.error} />
          {order.data && <ParticipantReports participants={order.data.participants} />}
        </div>
      </div>

      <h2>Timeline</h2>
      <ErrorNote error={events.error} />
      {events.data && <Timeline events={events.data.events} />}
    </section>
  );
}
