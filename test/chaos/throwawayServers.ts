import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/testing/freePort';

/**
 * A MariaDB and a Redis of the chaos suite's own, in a folder of its own, on free ports: the
 * suite stops and kills them, which it must never do to the machine's shared servers. Each can be
 * stopped and started again on the same port; MariaDB keeps its data folder across a restart,
 * Redis keeps nothing (`--save "" --appendonly no`), as many deployments run it. Whatever happens
 * to the test, the servers die with the process that started them.
 */
const run = promisify(execFile);

export type ThrowawayServer = Readonly<{
  url: string;
  /** Ends the server: SIGTERM is a clean shutdown, SIGKILL a crash. Resolves once it has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port (and, for MariaDB, the same data); nothing if it runs. */
  start(): Promise<void>;
}>;

export async function startThrowawayMariaDb(folder: string): Promise<ThrowawayServer> {
  const dataDir = join(folder, 'mariadb');
  mkdirSync(dataDir, { recursive: true });
  // As root, mariadbd runs only with --user=root; --no-defaults keeps the machine's my.cnf (its
  // port, socket and datadir) out of it.
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(folder, 'mariadb.sock')}`,
    `--pid-file=${join(folder, 'mariadb.pid')}`,
    '--user=root',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=128M',
    '--max-connections=500',
  ];
  const ping = () => run('mysqladmin', ['--protocol=tcp', '-h127.0.0.1', `-P${port}`, '-uroot', 'ping']);
  return await supervised(
    '/usr/sbin/mariadbd',
    args,
    join(folder, 'mariadb.log'),
    ping,
    `mysql://root@127.0.0.1:${port}/mysql`,
  );
}

export async function startThrowawayRedis(folder: string): Promise<ThrowawayServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder];
  const ping = () => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping']);
  return await supervised('redis-server', args, join(folder, 'redis.log'), ping, `redis://127.0.0.1:${port}`);
}

/** A server process that can be stopped and started again, ready once `ping` succeeds. */
async function supervised(
  command: string,
  args: readonly string[],
  logFile: string,
  ping: () => Promise<unknown>,
  url: string,
): Promise<ThrowawayServer> {
  const current: { child?: ChildProcess; exited?: Promise<void> } = {};
  const killOnExit = () => current.child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    if (current.child && current.child.exitCode === null && current.child.signalCode === null) return;
    const log = openSync(logFile, 'a');
    const child = spawn(command, args, { stdio: ['ignore', log, log] });
    current.child = child;
    current.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: see ${logFile}`);
      if (
        await ping().then(
          () => true,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`${command} did not answer within 60 s: see ${logFile}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const { child, exited } = current;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  await start();
  return { url, start, stop };
}
