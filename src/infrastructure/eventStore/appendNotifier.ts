import { BroadcastChannel } from 'node:worker_threads';

/**
 * Wakes followers when an append has stored events after the position they wait beyond: followers
 * in this thread directly, and those of other threads of this process through a BroadcastChannel
 * named after the store (`npm start` runs the HTTP API and the saga's roles in two threads, each
 * with its own connection). Appends by other processes are not seen: waiters then time out and
 * read again.
 */
export class AppendNotifier {
  private lastPosition = 0;
  private readonly waiters = new Set<{ after: number; wake(): void }>();
  private readonly channel: BroadcastChannel | undefined;

  /** `channel`: a name for the store shared by every thread that opens it (its file or its URL). */
  constructor(channel?: string) {
    if (!channel) return;
    this.channel = new BroadcastChannel(`appends:${channel}`);
    this.channel.onmessage = (message) => this.wakeAfter((message as { data: number }).data);
    // A follower waiting is what keeps a thread alive, never the channel itself.
    this.channel.unref();
  }

  notify(position: number): void {
    this.wakeAfter(position);
    this.channel?.postMessage(position);
  }

  wait(after: number, timeoutMs: number): Promise<void> {
    if (this.lastPosition > after) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Releases every waiter, e.g. when the store closes. */
  close(): void {
    this.channel?.close();
    for (const waiter of [...this.waiters]) waiter.wake();
  }

  private wakeAfter(position: number): void {
    if (position > this.lastPosition) this.lastPosition = position;
    for (const waiter of this.waiters) if (position > waiter.after) waiter.wake();
  }
}
