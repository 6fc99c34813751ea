import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../../src/application/ports/eventStore';
import { checkOutcomes, type Outcomes, type Violation } from './chaosInvariants';
import type { ChaosWorld, Pace, Scenario } from './chaosScenarios';
import type { ChaosRow } from './chaosTable';
import { startFlakyPrescriptions } from './flakyPrescriptions';
import { startOrderStream } from './orderStream';
import { startRolesApart, tokens } from './rolesApart';
import { waitSettled } from './sagaSettling';

/**
 * One scenario, start to end: the roles apart on a fresh database and queue prefix, a steady
 * stream of orders, the fault after the lead-in, then every saga given until the fault has
 * cleared and the stream ended plus the bound to settle, and the checks. The row for the table
 * comes back with the violations; the processes' logs and, on a failure, every violation with the
 * offending sagas' events stay in the scenario's folder, which is removed when all passed.
 */
export type ScenarioRun = Readonly<{
  row: ChaosRow;
  violations: Violation[];
  /** What the fault met and, on a failure, the violations by rule: a few lines. */
  summary: string;
  /** A few offending sagas with their events. */
  examples: string;
}>;

export async function runScenario(
  scenario: Scenario,
  servers: ChaosWorld['servers'],
  pace: Pace,
): Promise<ScenarioRun> {
  const folder = mkdtempSync(join(tmpdir(), 'chaos-'));
  const prescriptions = scenario.externalPrescriptions ? await startFlakyPrescriptions(1_500) : undefined;
  const service = await startRolesApart(
    servers,
    folder,
    prescriptions ? { PRESCRIPTIONS_URL: prescriptions.url } : {},
    scenario.roles,
  ).catch(async (error: unknown) => {
    await prescriptions?.close();
    throw error;
  });
  const notes: string[] = [];
  // The folder stays for a look unless every check passed.
  const passed = { all: false };
  try {
    const stream = startOrderStream(service.baseUrl, tokens.client, { ...pace, durationMs: pace.streamMs });
    await new Promise((resolve) => setTimeout(resolve, pace.leadMs));
    await scenario.inject({ service, servers, prescriptions, pace, note: (text) => notes.push(text) });
    const clearedAt = Date.now();
    const orders = await stream.done;
    const settled = await waitSettled(service.storage, orders, Math.max(clearedAt, stream.endsAt) + pace.boundMs);
    const outcomes = await checkOutcomes(service.storage, orders, settled, prescriptions);

    const states = [...settled.values()].map((saga) => saga.state);
    const count = (state: string) => states.filter((candidate) => candidate === state).length;
    const placedBeforeClearing = orders.filter((order) => order.postedAt <= clearedAt);
    const stuck = orders.length - settled.size;
    const lastSettled = Math.max(
      clearedAt,
      ...placedBeforeClearing.map((order) => settled.get(order.sagaId)?.settledAt ?? NaN),
    );
    const row: ChaosRow = {
      scenario: scenario.name,
      orders: orders.length,
      completed: count('COMPLETED'),
      cancelled: count('CANCELLED'),
      manualReview: count('MANUAL_REVIEW'),
      stuck,
      changed: outcomes.changed,
      recoverMs: stuck > 0 ? NaN : lastSettled - clearedAt,
      boundMs: pace.boundMs,
      violations: outcomes.violations.length,
    };
    passed.all = outcomes.violations.length === 0;
    return { row, violations: outcomes.violations, ...reportOf(scenario, notes, outcomes, folder) };
  } catch (error) {
    throw new Error(`${scenario.name}: ${(error as Error).message} (the roles' logs: ${folder})`, { cause: error });
  } finally {
    await service.stop();
    await prescriptions?.close();
    if (passed.all) rmSync(folder, { recursive: true, force: true });
  }
}

/** The scenario's notes and, on a failure, its violations: a summary to print, all in a file. */
function reportOf(scenario: Scenario, notes: readonly string[], outcomes: Outcomes, folder: string) {
  const { violations, eventsOf } = outcomes;
  const lines = notes.map((note) => `  ${scenario.name}: ${note}`);
  if (violations.length === 0) return { summary: lines.join('\n'), examples: '' };
  const byRule = new Map<string, number>();
  for (const violation of violations) byRule.set(violation.rule, (byRule.get(violation.rule) ?? 0) + 1);
  const all = violations.map((violation) => `${violation.rule}  ${violation.sagaId ?? ''}  ${violation.detail}`);
  const logs = [...eventsOf].map(([sagaId, events]) => `saga ${sagaId}\n${events.map(eventLine).join('\n')}`);
  writeFileSync(join(folder, 'violations.txt'), `${all.join('\n')}\n\n${logs.join('\n\n')}\n`);
  const examples = [...eventsOf].slice(0, 3).map(([sagaId, events]) => {
    const own = violations.filter((violation) => violation.sagaId === sagaId).map((violation) => violation.detail);
    return `  saga ${sagaId}: ${own.join('; ')}\n${events.map((event) => `    ${eventLine(event)}`).join('\n')}`;
  });
  const summary = [
    ...lines,
    `  ${scenario.name}: ${violations.length} violations (${[...byRule].map(([rule, n]) => `${rule} ×${n}`).join(', ')})`,
    ...violations
      .filter((violation) => !violation.sagaId)
      .map((violation) => `  ${violation.rule}: ${violation.detail}`),
    `  every violation, the offending sagas' events and the roles' logs: ${folder}`,
  ];
  return { summary: summary.join('\n'), examples: examples.join('\n') };
}

/** One event, without the ids every event of the saga repeats. */
const eventLine = (event: RecordedEvent) => {
  const { orderId: _orderId, sagaId: _sagaId, ...data } = event.data as Record<string, unknown>;
  return `${event.metadata.occurredAt}  ${event.type.padEnd(28)} ${JSON.stringify(data)}`;
};
