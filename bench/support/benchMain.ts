/**
 * The entry point of every bench: runs `main`, which returns how many cases failed, and exits 0, 1
 * (a case failed or the bench threw) or 130 (interrupted). Ctrl-C (or SIGTERM) stops the service
 * processes a bench started, so that the running case fails fast and drops its storage, and
 * `interrupted()` tells the bench to start no further case; a second Ctrl-C exits at once.
 */
import { running, stopAll } from './serviceProcesses';

let stopping = false;

export const interrupted = () => stopping;

export function runBench(main: () => Promise<number>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(`${signal}: stopping ${running.size} service process(es), then cleaning up (again to exit at once)`);
    void stopAll([...running]);
    setTimeout(() => process.exit(130), 20_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main().then(
    (failures) => process.exit(stopping ? 130 : failures > 0 ? 1 : 0),
    async (error: unknown) => {
      console.error(error);
      await stopAll([...running]);
      process.exit(1);
    },
  );
}
