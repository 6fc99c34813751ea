import { randomUUID } from 'node:crypto';
import { EventDecodingError, EventSchemaError } from '../errors';
import { currentSchemaVersion, decodeStoredEvent, eventCatalog, parseJsonColumn, validateNewEvent } from './index';
import type { FulfillmentEvent } from '../../domain/events';

const orderId = randomUUID();
const sagaId = randomUUID();
const shippingAddress = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const origin = { stream: `order-${orderId}`, position: 17 };

describe('event catalog', () => {
  it('reads an OrderCreated stored as v1 (items/qty, no prescriber) back as v2', () => {
    const v1 = { orderId, sagaId, patientId: 'patient-1', items: [{ sku: 'AMOX-500', qty: 3 }], shippingAddress };

    const event = decodeStoredEvent({ type: 'OrderCreated', schemaVersion: 1, data: v1 }, origin);

    expect(currentSchemaVersion('OrderCreated')).toBe(2);
    expect(event).toEqual({
      type: 'OrderCreated',
      data: {
        orderId,
        sagaId,
        patientId: 'patient-1',
        prescriberId: null,
        medications: [{ sku: 'AMOX-500', quantity: 3 }],
        shippingAddress,
      },
    });
  });

  it('reads current-version data unchanged', () => {
    const data = { sagaId, orderId, machineVersion: 1 };

    expect(decodeStoredEvent({ type: 'SagaStarted', schemaVersion: 1, data }, origin)).toEqual({
      type: 'SagaStarted',
      data,
    });
  });

  it('rejects a new event that breaks its schema, naming the type and the field', () => {
    const event = {
      type: 'OrderCreated',
      data: {
        orderId,
        sagaId,
        patientId: 'p',
        prescriberId: null,
        medications: [{ sku: 'A', quantity: 0 }],
        shippingAddress,
      },
    } as FulfillmentEvent;

    const error = catchError(() => validateNewEvent(event));

    expect(error).toBeInstanceOf(EventSchemaError);
    expect(error).toMatchObject({
      code: 'EVENT_SCHEMA_VIOLATION',
      eventType: 'OrderCreated',
      field: 'medications.0.quantity',
    });
    expect(error.message).toContain('OrderCreated');
    expect(error.message).toContain('medications.0.quantity');
  });

  it('strips unknown keys from new events so that only the schema is stored', () => {
    const event = { type: 'SagaCompleted', data: { orderId, sagaId, extra: 'x' } } as unknown as FulfillmentEvent;

    expect(validateNewEvent(event).data).toEqual({ orderId, sagaId });
  });

  it('names stream and position when a stored event has a type no catalog knows', () => {
    const error = catchError(() => decodeStoredEvent({ type: 'OrderTeleported', schemaVersion: 1, data: {} }, origin));

    expect(error).toBeInstanceOf(EventDecodingError);
    expect((error as EventDecodingError).origin).toEqual(origin);
    expect(error.message).toContain(origin.stream);
    expect(error.message).toContain('17');
    expect(error.message).toContain('OrderTeleported');
  });

  it('names stream and position when a stored event is from a newer build or its data is invalid', () => {
    const newer = catchError(() => decodeStoredEvent({ type: 'SagaStarted', schemaVersion: 9, data: {} }, origin));
    const invalid = catchError(() =>
      decodeStoredEvent({ type: 'SagaStarted', schemaVersion: 1, data: { sagaId } }, origin),
    );

    expect(newer).toBeInstanceOf(EventDecodingError);
    expect(newer.message).toContain('schemaVersion 9');
    expect(invalid).toBeInstanceOf(EventDecodingError);
    expect(invalid.message).toContain(`position 17 of stream ${origin.stream}`);
  });

  it('names the row when a JSON column is not JSON', () => {
    const error = catchError(() => parseJsonColumn('{"a":', 'data', origin));

    expect(error).toBeInstanceOf(EventDecodingError);
    expect(error.message).toContain('data is not valid JSON');
  });

  it('has an upcaster for every older version of every type', () => {
    for (const [type, entry] of Object.entries(eventCatalog)) {
      for (let version = 1; version < entry.schemaVersion; version++) {
        expect({ type, version, upcaster: typeof entry.upcasters[version] }).toEqual({
          type,
          version,
          upcaster: 'function',
        });
      }
    }
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
