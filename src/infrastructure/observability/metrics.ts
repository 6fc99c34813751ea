import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueDepth } from '../../application/ports/jobQueue';

/** An owned saga partition and how far its follower has handled the log. */
export type PartitionProgress = Readonly<{ partition: number; checkpoint: number }>;

/**
 * Every metric the service exposes on /metrics, defined once here. Other parts only increment or
 * observe them; gauges that mirror outside state (queue depth, projection lag) read it when
 * scraped, through the sources handed to `bindMetricSources`.
 */
export type FulfillmentMetrics = ReturnType<typeof createMetrics>;

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: Readonly<{ defaultMetrics?: boolean }> = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sources: {
    queueDepth?: () => Promise<QueueDepth>;
    projectionLag?: () => Promise<Record<string, number>>;
    stoppedSagas?: () => Promise<number>;
    followers?: () => Promise<
      readonly Readonly<{ subscription: string; state: string; partitions?: readonly PartitionProgress[] }>[]
    >;
    headPosition?: () => Promise<number>;
  } = {};
  /** Other registries of this process to expose with this one (the saga thread's). */
  const others: (() => Promise<object[]>)[] = [];

  const metrics = {
    registry,
    sagasStarted: new Counter({ name: 'fulfillment_sagas_started_total', help: 'Sagas started', registers }),
    sagasCompleted: new Counter({
      name: 'fulfillment_sagas_completed_total',
      help: 'Sagas that ended COMPLETED',
      registers,
    }),
    sagasCompensated: new Counter({
      name: 'fulfillment_sagas_compensated_total',
      help: 'Sagas that ended CANCELLED after unwinding their compensations',
      labelNames: ['reason'] as const,
      registers,
    }),
    sagasInManualReview: new Counter({
      name: 'fulfillment_sagas_manual_review_total',
      help: 'Sagas sent to MANUAL_REVIEW (a compensation failed after its retries)',
      registers,
    }),
    sagasStopped: new Counter({
      name: 'fulfillment_sagas_stopped_total',
      help: 'Times the reactor stopped a saga because its stored form cannot be restored',
      registers,
    }),
    stoppedSagas: new Gauge({
      name: 'fulfillment_sagas_stopped',
      help: 'Sagas stopped now because their stored form cannot be restored (listed in /readyz)',
      registers,
      async collect() {
        if (!sources.stoppedSagas) return;
        const count = await sources.stoppedSagas().catch(() => undefined);
        if (count !== undefined) this.set(count);
      },
    }),
    followerRunning: new Gauge({
      name: 'fulfillment_follower_running',
      help: 'Whether each follower of the log (reactor, projection) is making progress: 1 running, 0 retrying a transient failure or stopped',
      labelNames: ['subscription', 'state'] as const,
      registers,
      async collect() {
        if (!sources.followers) return;
        const statuses = await sources.followers().catch(() => undefined);
        this.reset();
        for (const { subscription, state } of statuses ?? [])
          this.set({ subscription, state }, state === 'running' ? 1 : 0);
      },
    }),
    partitionsOwned: new Gauge({
      name: 'fulfillment_partitions_owned',
      help: 'Saga partitions this process holds a lease on, per follower (reactor, projection)',
      labelNames: ['follower'] as const,
      registers,
      async collect() {
        if (!sources.followers) return;
        const statuses = await sources.followers().catch(() => undefined);
        this.reset();
        for (const { subscription, partitions } of statuses ?? [])
          if (partitions) this.set({ follower: subscription }, partitions.length);
      },
    }),
    partitionLag: new Gauge({
      name: 'fulfillment_partition_lag_events',
      help: 'Events in the log after each owned saga partition’s checkpoint (an upper bound: other partitions’ events count too)',
      labelNames: ['follower', 'partition'] as const,
      registers,
      async collect() {
        if (!sources.followers || !sources.headPosition) return;
        const [statuses, head] = await Promise.all([
          sources.followers().catch(() => undefined),
          sources.headPosition().catch(() => undefined),
        ]);
        this.reset();
        if (head === undefined) return;
        for (const { subscription, partitions } of statuses ?? [])
          for (const { partition, checkpoint } of partitions ?? [])
            this.set({ follower: subscription, partition: String(partition) }, Math.max(0, head - checkpoint));
      },
    }),
    partitionHandovers: new Counter({
      name: 'fulfillment_partition_handovers_total',
      help: 'Saga partition leases this process took (acquired), handed back (released) or found taken over by another copy (lost)',
      labelNames: ['follower', 'change'] as const,
      registers,
    }),
    stepDuration: new Histogram({
      name: 'fulfillment_step_duration_seconds',
      help: 'Forward step job duration by step and outcome',
      labelNames: ['step', 'outcome'] as const,
      buckets: durationBuckets,
      registers,
    }),
    compensationDuration: new Histogram({
      name: 'fulfillment_compensation_duration_seconds',
      help: 'Compensation job duration by compensation and outcome',
      labelNames: ['compensation', 'outcome'] as const,
      buckets: durationBuckets,
      registers,
    }),
    jobRetries: new Counter({
      name: 'fulfillment_job_retries_total',
      help: 'Tries of jobs that failed and counted against their attempts (deferred tries are not among them)',
      labelNames: ['kind', 'name'] as const,
      registers,
    }),
    jobDeferrals: new Counter({
      name: 'fulfillment_job_deferrals_total',
      help: "Tries of jobs deferred without spending an attempt, by reason: circuit_open (the participant's circuit breaker turned the call away), storage_unavailable (our storage was away)",
      labelNames: ['kind', 'name', 'reason'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'fulfillment_dead_letters_total',
      help: 'Jobs that failed for good',
      labelNames: ['kind', 'name'] as const,
      registers,
    }),
    reconcilerRedriven: new Counter({
      name: 'fulfillment_reconciler_redriven_total',
      help: 'Jobs the saga reconciler re-drove: reason lost (the queue no longer held a job a saga waited for) or failure_unrecorded (a dead letter whose failure the log lacked)',
      labelNames: ['kind', 'name', 'reason'] as const,
      registers,
    }),
    // A counter rather than a last-scan gauge: `npm start`'s saga thread, where the reconciler runs,
    // hands the main thread its counters only.
    reconcilerScans: new Counter({
      name: 'fulfillment_reconciler_scans_total',
      help: 'Scans the saga reconciler finished; it stops growing while scans fail (each failure is logged)',
      registers,
    }),
    queueDepth: new Gauge({
      name: 'fulfillment_queue_jobs',
      help: 'Jobs in the queue by status',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        if (!sources.queueDepth) return;
        const depth = await sources.queueDepth().catch(() => undefined);
        if (!depth) return;
        for (const [status, count] of Object.entries(depth)) this.set({ status }, count);
      },
    }),
    projectionLag: new Gauge({
      name: 'fulfillment_projection_lag_events',
      help: 'Events in the log not yet applied by each projection',
      labelNames: ['projection'] as const,
      registers,
      async collect() {
        if (!sources.projectionLag) return;
        const lags = await sources.projectionLag().catch(() => undefined);
        for (const [projection, lag] of Object.entries(lags ?? {})) this.set({ projection }, lag);
      },
    }),
    httpRequestDuration: new Histogram({
      name: 'fulfillment_http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    rateLimitFallbacks: new Counter({
      name: 'fulfillment_rate_limit_fallbacks_total',
      help: 'Hits counted in this process alone because Redis, where instances share the count, did not answer in time: limit per_token (requests) or auth_failures (failed authentications)',
      labelNames: ['limit'] as const,
      registers,
    }),
    /** Hands the gauges the functions they read when scraped. */
    bindMetricSources(bound: typeof sources) {
      Object.assign(sources, bound);
    },
    /** Adds another registry's metrics (as `getMetricsAsJSON()` gives them) to what /metrics shows. */
    addRegistry(metricsAsJson: () => Promise<object[]>) {
      others.push(metricsAsJson);
    },
    /** The text /metrics answers with: this registry's metrics, summed with the others'. */
    async exposition(): Promise<Readonly<{ contentType: string; text: string }>> {
      if (others.length === 0) return { contentType: registry.contentType, text: await registry.metrics() };
      const all = await Promise.all([registry.getMetricsAsJSON(), ...others.map((read) => read())]);
      const merged = AggregatorRegistry.aggregate(all);
      return { contentType: merged.contentType, text: await merged.metrics() };
    },
  };
  return metrics;
}
