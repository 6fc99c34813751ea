import {
  context as otelContext,
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for `traceparent`, as an OpenTelemetry
 * propagator: @opentelemetry/core's W3CTraceContextPropagator is not a dependency, and version 00
 * of the header is small enough to parse here. A request's traceparent is extracted into the
 * OpenTelemetry context and travels into event metadata and jobs as the header string.
 */
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  const match = traceparentPattern.exec(header?.trim().toLowerCase() ?? '');
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16),
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

export class TraceparentPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext && isSpanContextValid(spanContext))
      setter.set(carrier, 'traceparent', formatTraceparent(spanContext));
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'traceparent');
    const spanContext = parseTraceparent(Array.isArray(header) ? header[0] : header);
    return spanContext ? trace.setSpanContext(context, spanContext) : context;
  }

  fields(): string[] {
    return ['traceparent'];
  }
}

const propagator = new TraceparentPropagator();
const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The normalised traceparent of incoming headers, or undefined when absent or malformed. */
export function traceparentFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const extracted = propagator.extract(otelContext.active(), headers, headerGetter);
  const spanContext = trace.getSpanContext(extracted);
  return spanContext ? formatTraceparent(spanContext) : undefined;
}
