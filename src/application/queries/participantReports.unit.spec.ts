import type { ShipmentEvent } from '../../domain/events';
import type { RecordedEvent } from '../ports/eventStore';
import { shipmentReport } from './participantReports';

const sagaId = '6f1c1e44-8a53-4b55-9a53-0d1c8c7b1a01';
const orderId = '0b6f3f6e-2f0e-4a4e-8f5e-6e9d8a1f2b02';
const ids = { sagaId, orderId };

/** A shipment stream as stored: each event at the next revision. */
const stream = (...events: ShipmentEvent[]): RecordedEvent[] =>
  events.map((event, revision) => ({
    ...event,
    stream: `shipment-${orderId}`,
    revision,
    position: 10 + revision,
    metadata: {
      eventId: `00000000-0000-4000-8000-00000000000${revision}`,
      correlationId: sagaId,
      causationId: 'test',
      occurredAt: '2025-03-01T09:00:00.000Z',
      schemaVersion: 1,
    },
  })) as RecordedEvent[];

const timedOut: ShipmentEvent = {
  type: 'ShipmentInitiationFailed',
  data: { ...ids, code: 'STEP_TIMEOUT', reason: 'InitiateShipment reported no outcome before its deadline' },
};
const initiated: ShipmentEvent = {
  type: 'ShipmentInitiated',
  data: { ...ids, shipmentId: 'sh-1', carrier: 'UPS', trackingNumber: '1Z0001' },
};

describe('the shipment report of GET /orders/:orderId', () => {
  it('is null before the shipment step reports, then the latest outcome', () => {
    expect(shipmentReport([])).toBeNull();
    expect(shipmentReport(stream(initiated))).toEqual({
      status: 'initiated',
      shipmentId: 'sh-1',
      carrier: 'UPS',
      trackingNumber: '1Z0001',
    });
  });

  it('a shipment that succeeded after its timeout and was cancelled reads cancelled, with what was called back', () => {
    const cancelled: ShipmentEvent = { type: 'ShipmentCancelled', data: { ...ids, shipmentId: 'sh-1' } };
    expect(shipmentReport(stream(timedOut, initiated))).toMatchObject({ status: 'initiated' });
    expect(shipmentReport(stream(timedOut, initiated, cancelled))).toEqual({
      status: 'cancelled',
      shipmentId: 'sh-1',
      carrier: 'UPS',
      trackingNumber: '1Z0001',
    });
  });

  it('a cancellation that found no shipment reads cancelled with nothing to name', () => {
    const nothing: ShipmentEvent = { type: 'ShipmentCancelled', data: { ...ids, shipmentId: null } };
    expect(shipmentReport(stream(timedOut, nothing))).toEqual({
      status: 'cancelled',
      shipmentId: null,
      carrier: null,
      trackingNumber: null,
    });
  });
});
