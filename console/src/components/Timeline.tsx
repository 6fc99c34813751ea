import type { SagaEvent } from '../api/apiTypes';
import { formatDuration } from './formatting';
import { summaryOf, timelineRows } from './timelineRows';

/**
 * Every event of the saga and its order, in global order, as a table: when (from the first
 * event), the stream, the type, what it says, and for each step or compensation report a bar for
 * how long it took, drawn on the saga's whole time span.
 */
export function Timeline({ events }: { events: readonly SagaEvent[] }) {
  const rows = timelineRows(events);
  const first = rows[0]?.atMs ?? 0;
  const span = Math.max(1, (rows.at(-1)?.atMs ?? first) - first);
  return (
    <div class="table-scroll">
      <table class="timeline" data-testid="timeline">
        <caption>Every event of this saga and its order, in global order</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">at</th>
            <th scope="col">event</th>
            <th scope="col">stream</th>
            <th scope="col">says</th>
            <th scope="col">step took</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ event, atMs, step }) => (
            <tr key={event.position} data-type={event.type}>
              <td>{event.position}</td>
              <td>+{formatDuration(atMs - first)}</td>
              <td class="event-type">{event.type}</td>
              <td class="stream">{event.stream.split('-')[0]}</td>
              <td>{summaryOf(event)}</td>
              <td class="bar-cell">
                {step && (
                  <>
                    <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
                      <rect class="bar-track" x="0" y="0" width="100" height="8" />
                      <rect
                        class="bar-fill"
                        x={((step.startMs - first) / span) * 100}
                        y="0"
                        width={Math.max(0.5, (step.durationMs / span) * 100)}
                        height="8"
                      />
                    </svg>
                    <span class="bar-label">{formatDuration(step.durationMs)}</span>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
