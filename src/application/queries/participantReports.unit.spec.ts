import type { FulfillmentEvent, ShipmentEvent } from '../../domain/events';
import type { RecordedEvent } from '../ports/eventStore';
import { inventoryReport, prescriptionReport, shipmentReport } from './participantReports';

const sagaId = '6f1c1e44-8a53-4b55-9a53-0d1c8c7b1a01';
const orderId = '0b6f3f6e-2f0e-4a4e-8f5e-6e9d8a1f2b02';
const ids = { sagaId, orderId };

/** A participant's stream as stored: each event at the next revision. */
const stream = (...events: FulfillmentEvent[]): RecordedEvent[] =>
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

  it('a shipment given up, cancelled, then reported late (made before the cancel, which undid it) stays cancelled, naming it', () => {
    const cancelled: ShipmentEvent = { type: 'ShipmentCancelled', data: { ...ids, shipmentId: 'sh-1', undone: true } };
    expect(shipmentReport(stream(timedOut, cancelled, initiated))).toEqual({
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

describe('the prescription and reservation reports of GET /orders/:orderId', () => {
  it('a success recorded after the compensation that undid it reads cancelled / released, naming it', () => {
    const rxFailed: FulfillmentEvent = {
      type: 'PrescriptionFailed',
      data: { ...ids, code: 'RETRIES_EXHAUSTED', reason: 'kept failing: 500' },
    };
    const rxCancelled: FulfillmentEvent = {
      type: 'PrescriptionCancelled',
      data: { ...ids, prescriptionId: 'rx-1', undone: true },
    };
    const rxCreated: FulfillmentEvent = { type: 'PrescriptionCreated', data: { ...ids, prescriptionId: 'rx-1' } };
    expect(prescriptionReport(stream(rxFailed, rxCancelled, rxCreated))).toEqual({
      status: 'cancelled',
      prescriptionId: 'rx-1',
    });

    const lines = [{ sku: 'AMOX-500', quantity: 2 }];
    const resFailed: FulfillmentEvent = {
      type: 'InventoryReservationFailed',
      data: { ...ids, code: 'STEP_TIMEOUT', reason: 'no answer', shortLines: [], unknownSkus: [] },
    };
    const released: FulfillmentEvent = { type: 'InventoryReleased', data: { ...ids, lines, undone: true } };
    const reserved: FulfillmentEvent = { type: 'InventoryReserved', data: { ...ids, reservationId: 'res-1', lines } };
    expect(inventoryReport(stream(resFailed, released, reserved))).toEqual({
      status: 'released',
      reservationId: 'res-1',
      lines,
    });
    expect(inventoryReport(stream(reserved))).toMatchObject({ status: 'reserved' });
  });
});
