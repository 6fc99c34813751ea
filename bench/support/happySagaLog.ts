import type { RecordedEvent } from '../../src/application/ports/eventStore';
import { currentSchemaVersion } from '../../src/application/eventCatalog';
import { decide, fulfillmentSaga, startSaga, type SagaDefinition, type SagaInput } from '../../src/domain/saga';
import { loadConfig } from '../../src/infrastructure/config/config';

/**
 * The log a run of happy sagas writes, `inFlight` sagas at a time: each saga's appends
 * (OrderCreated; the reactor's lifecycle events; each step's outcome) interleaved with the others'.
 */
export function happyLog(sagas: number, inFlight: number, run: string, after = 0): RecordedEvent[] {
  const { stepDeadlinesMs, retry } = loadConfig({});
  const definition = fulfillmentSaga({ stepDeadlinesMs, retry });
  const log: RecordedEvent[] = [];
  let position = after;
  const append = (type: string, data: object, sagaId: string, at: Date) =>
    log.push({
      position: ++position,
      stream: `bench-${sagaId}`,
      revision: 0,
      type,
      data,
      metadata: {
        eventId: `${run}-${position}`,
        correlationId: sagaId,
        causationId: 'bench',
        occurredAt: at.toISOString(),
        schemaVersion: currentSchemaVersion(type as never),
      },
    } as RecordedEvent);
  for (let wave = 0; wave < sagas; wave += inFlight) {
    const phases = Array.from({ length: Math.min(inFlight, sagas - wave) }, (_, offset) =>
      sagaPhases(definition, `20000000-${run}-4000-8000-${String(wave + offset).padStart(12, '0')}`),
    );
    for (let phase = 0; phase < phases[0]!.length; phase++) {
      for (const saga of phases)
        for (const event of saga[phase]!) append(event.type, event.data, event.sagaId, event.at);
    }
  }
  return log;
}

type PhaseEvent = Readonly<{ type: string; data: object; sagaId: string; at: Date }>;

function sagaPhases(definition: SagaDefinition, sagaId: string): PhaseEvent[][] {
  const orderId = `3${sagaId.slice(1)}`;
  const ids = { sagaId, orderId };
  const at = new Date('2024-05-01T10:00:00.000Z');
  const phases: PhaseEvent[][] = [
    [
      {
        type: 'OrderCreated',
        data: {
          ...ids,
          patientId: 'p',
          prescriberId: 'dr',
          medications: [{ sku: 'BENCH-0', quantity: 1 }],
          shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
        },
        sagaId,
        at,
      },
    ],
  ];
  let decision = startSaga(definition, { ...ids, now: at });
  phases.push(decision.events.map((event) => ({ ...event, sagaId, at })));
  const inputs: SagaInput[] = [
    { type: 'PrescriptionCreated', data: { ...ids, prescriptionId: 'rx' } },
    { type: 'InventoryReserved', data: { ...ids, reservationId: 'r', lines: [{ sku: 'BENCH-0', quantity: 1 }] } },
    { type: 'ShipmentInitiated', data: { ...ids, shipmentId: 's', carrier: 'UPS', trackingNumber: '1Z' } },
  ];
  for (const input of inputs) {
    phases.push([{ type: input.type, data: input.data, sagaId, at }]);
    decision = decide(definition, decision.saga, input, { now: at });
    phases.push(decision.events.map((event) => ({ ...event, sagaId, at })));
  }
  return phases;
}
