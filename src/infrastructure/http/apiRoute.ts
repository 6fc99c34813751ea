import type { Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../config/config';

/**
 * One API route as data: method, path, role, the zod schemas of its input and of its success
 * response, and the handler. The express app is built from the list, and so is /openapi.json.
 */
export type ApiRoute<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
> = Readonly<{
  method: 'get' | 'post' | 'put';
  /** Express syntax (`/orders/:orderId`). */
  path: string;
  summary: string;
  role: Role;
  params?: Params;
  query?: Query;
  body?: Body;
  /** A missing body is read as `{}` (e.g. cancel without a reason). */
  bodyOptional?: boolean;
  /** Honours Idempotency-Key. */
  idempotent?: boolean;
  success: Readonly<{ status: number; description: string; schema: z.ZodType }>;
  errorStatuses: readonly number[];
  handle(
    input: Readonly<{ params: z.output<Params>; query: z.output<Query>; body: z.output<Body> }>,
    res: Response,
  ): Promise<unknown>;
}>;

export const defineRoute = <Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType>(
  route: ApiRoute<Params, Query, Body>,
): ApiRoute => route as unknown as ApiRoute;
