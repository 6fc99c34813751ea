import { z } from 'zod';
import { unknownOutcomeCodes } from '../../domain/events/values';
import { compensationNames, forwardStepNames, sagaStates } from '../../domain/saga/sagaVocabulary';

/** Building blocks shared by the event schemas and the HTTP request schemas. */

export const uuid = z.uuid();
export const sku = z.string().trim().min(1).max(64);
export const quantity = z.number().int().min(1).max(1000);
export const medicationLine = z.object({ sku, quantity });
export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. "US"');
export const shippingAddress = z.object({
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: countryCode,
});
export const shortLine = z.object({ sku, requested: quantity, available: z.number().int().min(0) });

export const sagaState = z.enum(sagaStates);
export const forwardStepName = z.enum(forwardStepNames);
export const compensationName = z.enum(compensationNames);
export const sagaJobName = z.enum([...forwardStepNames, ...compensationNames]);
export const stepFailureCode = <const Codes extends readonly [string, ...string[]]>(codes: Codes) =>
  z.enum([...codes, ...unknownOutcomeCodes]);
