import type { Order } from '../api/apiTypes';

const names: Record<keyof Order['participants'], string> = {
  prescription: 'Prescriptions',
  inventoryReservation: 'Inventory',
  shipment: 'Shipping',
};

/** GET /orders/:id's participants: each one's last report, or that it has not been asked yet. */
export function ParticipantReports({ participants }: { participants: Order['participants'] }) {
  return (
    <dl class="reports" data-testid="participants">
      {(Object.keys(names) as (keyof Order['participants'])[]).map((key) => {
        const report = participants[key];
        return (
          <div key={key} data-participant={key}>
            <dt>{names[key]}</dt>
            <dd>
              {!report
                ? 'not asked'
                : report.status === 'failed'
                  ? `failed: ${report.code ?? ''} — ${report.reason ?? ''}`
                  : `${report.status}${details(report)}`}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

function details(report: Record<string, unknown>): string {
  const shown = Object.entries(report)
    .filter(([key, value]) => key !== 'status' && value !== null && value !== undefined)
    .map(([key, value]) =>
      key === 'lines' && Array.isArray(value)
        ? `lines ${value.map((line: { sku: string; quantity: number }) => `${line.quantity}× ${line.sku}`).join(', ')}`
        : `${key} ${String(value)}`,
    );
  return shown.length ? ` (${shown.join('; ')})` : '';
}
