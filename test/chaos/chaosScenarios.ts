import { Redis } from 'ioredis';
import type { FlakyPrescriptions, PrescriptionsFault } from './flakyPrescriptions';
import type { Role } from '../support/serviceProcesses';
import type { RolesApart } from './rolesApart';
import type { ThrowawayServer } from './throwawayServers';

/**
 * The faults, each as production meets it, injected while the order stream runs. A scenario's
 * `inject` starts after the stream's lead-in and resolves once its fault has cleared: the moment
 * "time to recover" is counted from. The full form (`npm run chaos`) holds faults longer than the
 * short one (`CHAOS_SHORT=1`, run by CI).
 */
export type Pace = Readonly<{
  short: boolean;
  ratePerSecond: number;
  streamMs: number;
  /** How long the stream runs before the fault. */
  leadMs: number;
  /** How long after the fault clears (and the stream ends) every saga must have settled. */
  boundMs: number;
  /** Seeds the random choices (which role dies), so that a run can be repeated. */
  seed: number;
}>;

export type ChaosWorld = Readonly<{
  service: RolesApart;
  servers: Readonly<{ mariadb: ThrowawayServer; redis: ThrowawayServer }>;
  prescriptions?: FlakyPrescriptions;
  pace: Pace;
  /** Records what the fault met, for the report. */
  note(text: string): void;
}>;

export type Scenario = Readonly<{
  name: string;
  /** The processes to run, when not one of each role and two workers (rolesApart.ts). */
  roles?: readonly Role[];
  /** Points the service's prescriptions at the suite's flaky external service. */
  externalPrescriptions?: boolean;
  inject(world: ChaosWorld): Promise<void>;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGKILLs the processes among `targets` (indexes into the run's processes) on a timer, each
 * restarted at once: each once in a random order, then any at random, so every one dies at least once.
 */
async function killAtRandom({ service, pace, note }: ChaosWorld, targets: readonly number[]): Promise<void> {
  const everyMs = pace.short ? 2_500 : 4_000;
  const kills = Math.floor((pace.streamMs - pace.leadMs - 3_000) / everyMs);
  const random = seededRandom(pace.seed);
  const everyTarget = targets
    .map((index) => ({ index, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map(({ index }) => index);
  const killed: string[] = [];
  for (let kill = 0; kill < Math.max(kills, targets.length); kill++) {
    const index = everyTarget[kill] ?? targets[Math.floor(random() * targets.length)]!;
    await service.killAndRestart(index);
    killed.push(`${service.roles[index]}-${index}`);
    await sleep(everyMs);
  }
  await Promise.all(service.processes.map((process) => process.started));
  note(`seed ${pace.seed}: killed ${killed.join(', ')}`);
}

/** SIGKILL of a random role (API, reactor, a worker, projection) on a timer, restarted at once. */
const killRandomRoles: Scenario = {
  name: 'SIGKILL random roles',
  inject: (world) =>
    killAtRandom(
      world,
      world.service.roles.map((_, index) => index),
    ),
};

/**
 * Issue 9: four reactor copies and two projection copies share the saga partitions by leases; a
 * random copy is SIGKILLed and restarted every few seconds. Its partitions move when its leases
 * expire, and no saga is decided by two copies at once (the "one owner" check).
 */
const killPartitionOwners: Scenario = {
  name: 'SIGKILL of 4 reactors + 2 projectors',
  roles: ['serve', 'worker', 'worker', 'reactor', 'reactor', 'reactor', 'reactor', 'project', 'project'],
  inject: (world) =>
    killAtRandom(
      world,
      world.service.roles.flatMap((role, index) => (role === 'reactor' || role === 'project' ? [index] : [])),
    ),
};

/**
 * Redis killed and started again empty while step jobs wait (the workers paused for a moment so
 * that some do), as a Redis without persistence restarts, or a failover drops acknowledged writes.
 */
const redisLosesData: Scenario = {
  name: 'Redis restart losing its data',
  async inject({ service, servers, note }) {
    service.pause('worker', true);
    await sleep(3_000);
    note(`${await jobsHeld(servers.redis.url, service.storage.env.QUEUE_PREFIX!)} jobs in Redis when it died`);
    await servers.redis.stop('SIGKILL');
    await sleep(2_000);
    await servers.redis.start();
    service.pause('worker', false);
  },
};

/** MariaDB shut down mid-load for ~10 s, then started again on the same data. */
const mariadbRestart: Scenario = {
  name: 'MariaDB restart',
  async inject({ servers }) {
    await servers.mariadb.stop('SIGTERM');
    await sleep(10_000);
    await servers.mariadb.start();
  },
};

/**
 * The external prescriptions service slow (within the per-call timeout), answering 500 after
 * acting, dropping answers after acting, then down long enough to open the circuit breaker.
 */
const flakyParticipant: Scenario = {
  name: 'flaky external participant',
  externalPrescriptions: true,
  async inject({ prescriptions, pace, note }) {
    const phaseMs = pace.short ? 3_000 : 8_000;
    const phases: [PrescriptionsFault, number][] = [
      ['slow', phaseMs],
      ['errorAfterActing', phaseMs],
      ['dropAfterActing', phaseMs],
      ['down', 8_000],
    ];
    for (const [fault, ms] of phases) {
      prescriptions!.setFault(fault);
      await sleep(ms);
    }
    prescriptions!.setFault('none');
    const { received, faulted } = prescriptions!.calls();
    note(`${received} calls reached the participant, ${faulted} of them faulted`);
  },
};

export const scenarios: readonly Scenario[] = [
  killRandomRoles,
  killPartitionOwners,
  redisLosesData,
  mariadbRestart,
  flakyParticipant,
];

/** Jobs BullMQ holds under the prefix: waiting, delayed, prioritized or active. */
async function jobsHeld(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    const sizes = await Promise.all(
      keys.map((key) =>
        key.endsWith(':wait') || key.endsWith(':active')
          ? redis.llen(key)
          : key.endsWith(':delayed') || key.endsWith(':prioritized')
            ? redis.zcard(key)
            : 0,
      ),
    );
    return sizes.reduce((sum, size) => sum + size, 0);
  } finally {
    redis.disconnect();
  }
}

/** mulberry32: a repeatable random sequence, so that a run's kills can be told by its seed. */
function seededRandom(seed: number): () => number {
  const state = { value: seed };
  return () => {
    state.value = (state.value + 0x6d2b79f5) | 0;
    let t = Math.imul(state.value ^ (state.value >>> 15), 1 | state.value);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
