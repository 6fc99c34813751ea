import { streamName } from '../../domain/events';
import { NotFoundError } from '../commands/fulfillmentErrors';
import { getSaga } from './getSaga';
import { inventoryReport, prescriptionReport, shipmentReport, type ParticipantReports } from './participantReports';
import type { QueryDependencies } from './queryContext';

/** An order as placed, its saga's status and what each participant reported. */
export async function getOrder(dependencies: QueryDependencies, orderId: string) {
  const { eventStore } = dependencies;
  const [orderEvents, prescription, inventory, shipment] = await Promise.all([
    eventStore.readStream(streamName.order(orderId)),
    eventStore.readStream(streamName.prescription(orderId)),
    eventStore.readStream(streamName.inventoryReservation(orderId)),
    eventStore.readStream(streamName.shipment(orderId)),
  ]);
  const created = orderEvents[0];
  if (created?.type !== 'OrderCreated') throw new NotFoundError('order', orderId);
  const participants: ParticipantReports = {
    prescription: prescriptionReport(prescription),
    inventoryReservation: inventoryReport(inventory),
    shipment: shipmentReport(shipment),
  };
  return {
    orderId,
    sagaId: created.data.sagaId,
    patientId: created.data.patientId,
    prescriberId: created.data.prescriberId,
    medications: created.data.medications,
    shippingAddress: created.data.shippingAddress,
    placedAt: created.metadata.occurredAt,
    cancellationRequested: orderEvents.some((event) => event.type === 'OrderCancellationRequested'),
    cancelled: orderEvents.some((event) => event.type === 'OrderCancelled'),
    saga: await getSaga(dependencies, created.data.sagaId),
    participants,
  };
}

export type OrderView = Awaited<ReturnType<typeof getOrder>>;
