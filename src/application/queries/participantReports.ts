import type { MedicationLine } from '../../domain/events';
import type { RecordedEvent } from '../ports/eventStore';

/**
 * What each participant reported for an order, from its stream's events: the latest outcome wins
 * (a cancellation or release follows the success it undoes; a late success follows the timeout
 * that gave up on it) — except a success recorded after its step's compensation. A step given up
 * with its outcome unknown is compensated at once, so its success, answered late, can be recorded
 * after the compensation that undid it (the participant's tombstone refuses a forward call that
 * comes after its compensation, so such a success was always undone): the report stays cancelled
 * or released, naming what the success made.
 */
type Failed = Readonly<{ status: 'failed'; code: string; reason: string }>;

export type PrescriptionReport = Readonly<{ status: 'created' | 'cancelled'; prescriptionId: string | null }> | Failed;
export type InventoryReport =
  | Readonly<{ status: 'reserved'; reservationId: string; lines: readonly MedicationLine[] }>
  | Readonly<{ status: 'released'; reservationId: string | null; lines: readonly MedicationLine[] }>
  | (Failed & Readonly<{ shortLines: readonly unknown[]; unknownSkus: readonly string[] }>);
export type ShipmentReport =
  | Readonly<{ status: 'initiated'; shipmentId: string; carrier: string; trackingNumber: string }>
  /** Called back after the saga had given up on it; carrier and tracking number of the shipment undone. */
  | Readonly<{ status: 'cancelled'; shipmentId: string | null; carrier: string | null; trackingNumber: string | null }>
  | Failed;

export type ParticipantReports = Readonly<{
  prescription: PrescriptionReport | null;
  inventoryReservation: InventoryReport | null;
  shipment: ShipmentReport | null;
}>;

export function prescriptionReport(events: readonly RecordedEvent[]): PrescriptionReport | null {
  return events.reduce<PrescriptionReport | null>((report, event) => {
    switch (event.type) {
      case 'PrescriptionCreated':
        return {
          status: report?.status === 'cancelled' ? 'cancelled' : 'created',
          prescriptionId: event.data.prescriptionId,
        };
      case 'PrescriptionCancelled':
        return { status: 'cancelled', prescriptionId: event.data.prescriptionId };
      case 'PrescriptionFailed':
        return { status: 'failed', code: event.data.code, reason: event.data.reason };
      default:
        return report;
    }
  }, null);
}

export function inventoryReport(events: readonly RecordedEvent[]): InventoryReport | null {
  return events.reduce<InventoryReport | null>((report, event) => {
    switch (event.type) {
      case 'InventoryReserved': {
        const status = report?.status === 'released' ? 'released' : 'reserved';
        return { status, reservationId: event.data.reservationId, lines: event.data.lines };
      }
      case 'InventoryReleased':
        return {
          status: 'released',
          reservationId: report?.status === 'reserved' ? report.reservationId : null,
          lines: event.data.lines,
        };
      case 'InventoryReservationFailed':
        return {
          status: 'failed',
          code: event.data.code,
          reason: event.data.reason,
          shortLines: event.data.shortLines,
          unknownSkus: event.data.unknownSkus,
        };
      default:
        return report;
    }
  }, null);
}

export function shipmentReport(events: readonly RecordedEvent[]): ShipmentReport | null {
  return events.reduce<ShipmentReport | null>((report, event) => {
    switch (event.type) {
      case 'ShipmentInitiated':
        return {
          status: report?.status === 'cancelled' ? 'cancelled' : 'initiated',
          shipmentId: event.data.shipmentId,
          carrier: event.data.carrier,
          trackingNumber: event.data.trackingNumber,
        };
      case 'ShipmentInitiationFailed':
        return { status: 'failed', code: event.data.code, reason: event.data.reason };
      case 'ShipmentCancelled': {
        const initiated = report?.status === 'initiated' ? report : null;
        return {
          status: 'cancelled',
          shipmentId: event.data.shipmentId ?? initiated?.shipmentId ?? null,
          carrier: initiated?.carrier ?? null,
          trackingNumber: initiated?.trackingNumber ?? null,
        };
      }
      default:
        return report;
    }
  }, null);
}
