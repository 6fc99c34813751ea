import { awaitedIntents, type ForwardStepName, type SagaDefinition, type SagaJobName } from '../../domain/saga';
import type { Clock } from '../ports/clock';
import type { EventStore } from '../ports/eventStore';
import { jobIdOf, stepJobIdOf, type HeldJobState, type JobQueue } from '../ports/jobQueue';
import type { Logger } from '../ports/logger';
import type { IdleSaga, SagaReadModel } from '../queries/sagaReadModel';
import { forEachConcurrently } from './forEachConcurrently';
import { recordJobFailed } from './jobWorkers';
import { loadSaga } from './loadSaga';
import { isUnrestorable } from './sagaReactor';
import { jobsForIntents, type QueuedJob } from './sagaIntentJobs';

/**
 * The saga reconciler: hands the queue back the jobs it lost. The reactor sends a saga's job once,
 * when the saga moves to wait for it, and its checkpoint then moves on; a queue that loses its data
 * (a Redis restarted without persistence, a failover that drops acknowledged writes) would leave
 * the saga waiting for good. So every scan:
 *
 * 1. one indexed query on the read model finds the sagas that wait for a job and have not moved for
 *    `idleAfterMs` (MANUAL_REVIEW waits for an operator, not a job: left out). When all is well
 *    that is all a scan does: a saga waits that long only on a slow or backed-up step;
 * 2. a saga whose row waits for a forward step whose job the queue holds is fine (one lookup for
 *    the whole page); the others are loaded from the log, the truth, and what they wait for derived
 *    (`awaitedIntents`: the step in flight, the compensation running);
 * 3. each awaited job the queue does not hold is enqueued again, the very job the reactor sent (same
 *    deterministic id, request and retry policy), and each awaited job that is a dead letter — it
 *    failed for good, yet the saga never heard — gets the failure `onFailed` could not record
 *    (retries exhausted, or the compensation failed), with the same event id.
 *
 * Re-sending is safe whatever races it: the queue adds an id it holds once, and a job that runs
 * twice leaves the same end state (idempotent participants, deterministic outcome event ids).
 */
export type SagaReconcilerDependencies = Readonly<{
  readModel: Pick<SagaReadModel, 'idleSagas'>;
  eventStore: EventStore;
  jobQueue: JobQueue;
  definition: SagaDefinition;
  clock: Clock;
  logger: Logger;
  /** A saga is checked once its row has not changed for this long. */
  idleAfterMs: number;
  /** Rows read per query (default 200). */
  pageSize?: number;
  /** Sagas loaded from the log at once (default 8). */
  loadConcurrency?: number;
  metrics?: SagaReconcilerMetrics;
  /** The sagas this copy of the reactor holds (its partitions): it reconciles those alone. */
  owns?: (sagaId: string) => boolean;
}>;

/** `lost`: the queue did not hold the job; `failureUnrecorded`: a dead letter whose failure the log lacked. */
export type RedriveReason = 'lost' | 'failureUnrecorded';

export type Redrive = Readonly<{
  sagaId: string;
  jobId: string;
  kind: 'step' | 'compensation';
  name: SagaJobName;
  reason: RedriveReason;
}>;

export type ReconcilerScan = Readonly<{
  startedAt: string;
  /** Sagas the read model showed waiting for a job for longer than `idleAfterMs`. */
  idleSagas: number;
  /** Of those, the ones loaded from the log (no live job proven from the row alone). */
  loadedSagas: number;
  redriven: readonly Redrive[];
  durationMs: number;
}>;

export type SagaReconcilerMetrics = Readonly<{
  redriven(redrive: Redrive): void;
  scanned(scan: ReconcilerScan): void;
}>;

export type SagaReconciler = Readonly<{ scan(): Promise<ReconcilerScan> }>;

const reasons: Record<RedriveReason, string> = {
  lost: 'the queue no longer held its job, which the saga was waiting for',
  failureUnrecorded: 'its job failed for good, but the failure never reached the log',
};

export function createSagaReconciler(dependencies: SagaReconcilerDependencies): SagaReconciler {
  const { readModel, eventStore, jobQueue, definition, clock, logger } = dependencies;
  const pageSize = dependencies.pageSize ?? 200;
  const stepNames: ReadonlySet<SagaJobName> = new Set(definition.steps.map((step) => step.name));
  const isStep = (name: SagaJobName): name is ForwardStepName => stepNames.has(name);

  /**
   * The sagas of a page not shown fine by their row: a row waiting for a forward step whose job is
   * live is. (A compensation's job id needs its round, which only the log knows.) The row may lag
   * the log; then the saga moved lately and is not idle anyway.
   */
  const withoutLiveStep = async (page: readonly IdleSaga[]): Promise<IdleSaga[]> => {
    const probeIdOf = ({ sagaId, currentStep }: IdleSaga) =>
      isStep(currentStep) ? stepJobIdOf(sagaId, currentStep) : undefined;
    const probeIds = page.flatMap((saga) => probeIdOf(saga) ?? []);
    const held = probeIds.length > 0 ? await jobQueue.heldJobs(probeIds) : new Map<string, HeldJobState>();
    return page.filter((saga) => {
      const probeId = probeIdOf(saga);
      return probeId === undefined || held.get(probeId) !== 'live';
    });
  };

  /** The jobs a saga waits on, as the reactor sent them; none for a saga that cannot be loaded. */
  const awaitedJobs = async (sagaId: string, idleSince: Date): Promise<QueuedJob[]> => {
    const loaded = await loadSaga(eventStore, definition, sagaId).catch((error: unknown) => {
      // A saga whose stored form cannot be restored is the reactor's to stop and report.
      if (isUnrestorable(error)) return undefined;
      throw error;
    });
    // Not started yet: the reactor has still to react to its OrderCreated, and will send its job.
    if (!loaded?.saga) return [];
    // Idle by its log too, not only by its row (which lags the log): a saga that has just reacted
    // may not have had its new job enqueued yet (the reactor appends, then enqueues).
    if (loaded.lastReactionAt && Date.parse(loaded.lastReactionAt) > idleSince.getTime()) return [];
    // An input the reactor has not reacted to yet (say the outcome of the very job looked for): it
    // will move the saga itself. An input it ignored stays unreacted to for good, hence the age.
    const unreacted = loaded.unhandledInputs.at(-1);
    if (unreacted && Date.parse(unreacted.metadata.occurredAt) > idleSince.getTime()) return [];
    return jobsForIntents(awaitedIntents(definition, loaded.saga.context), {
      order: loaded.order,
      context: loaded.saga.context,
      // The input the saga reacted to last: the reactor's causation for a job sent in reaction to it.
      causationId: [...loaded.handledInputs].at(-1) ?? sagaId,
    });
  };

  const redrive = async (sagas: readonly IdleSaga[], idleSince: Date): Promise<Redrive[]> => {
    const awaited: QueuedJob[] = [];
    await forEachConcurrently(sagas, dependencies.loadConcurrency ?? 8, async ({ sagaId }) => {
      awaited.push(...(await awaitedJobs(sagaId, idleSince)));
    });
    if (awaited.length === 0) return [];
    const held = await jobQueue.heldJobs(awaited.map(({ job }) => jobIdOf(job)));
    const lost = awaited.filter(({ job }) => !held.has(jobIdOf(job)));
    const deadLettered = awaited.filter(({ job }) => held.get(jobIdOf(job)) === 'deadLettered');
    await jobQueue.enqueueMany(lost);
    for (const { job } of deadLettered) {
      const error = new Error(`${jobIdOf(job)} is a dead letter whose failure the saga never heard of`);
      await recordJobFailed({ eventStore, clock }, job, error);
    }
    const redriveOf = ({ job }: QueuedJob, reason: RedriveReason): Redrive => ({
      sagaId: job.sagaId,
      jobId: jobIdOf(job),
      kind: job.kind,
      name: job.name,
      reason,
    });
    return [
      ...lost.map((queued) => redriveOf(queued, 'lost')),
      ...deadLettered.map((queued) => redriveOf(queued, 'failureUnrecorded')),
    ];
  };

  const report = (redrive: Redrive) => {
    logger.warn(
      { sagaId: redrive.sagaId, correlationId: redrive.sagaId, jobId: redrive.jobId, reason: redrive.reason },
      `reconciler re-drove ${redrive.kind} ${redrive.name} of saga ${redrive.sagaId}: ${reasons[redrive.reason]}`,
    );
    dependencies.metrics?.redriven(redrive);
  };

  return {
    scan: async () => {
      const startedAt = clock.now();
      const started = performance.now();
      const idleSince = new Date(startedAt.getTime() - dependencies.idleAfterMs);
      const redriven: Redrive[] = [];
      let idleSagas = 0;
      let loadedSagas = 0;
      for (let afterPosition = 0; ;) {
        const page = await readModel.idleSagas({ idleSince, afterPosition, limit: pageSize });
        const ours = dependencies.owns ? page.filter(({ sagaId }) => dependencies.owns!(sagaId)) : page;
        idleSagas += ours.length;
        const unproven = await withoutLiveStep(ours);
        loadedSagas += unproven.length;
        const done = await redrive(unproven, idleSince);
        done.forEach(report);
        redriven.push(...done);
        if (page.length < pageSize) break;
        afterPosition = page.at(-1)!.createdPosition;
      }
      const scan = {
        startedAt: startedAt.toISOString(),
        idleSagas,
        loadedSagas,
        redriven,
        durationMs: performance.now() - started,
      };
      dependencies.metrics?.scanned(scan);
      return scan;
    },
  };
}
