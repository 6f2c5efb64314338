/**
 * Group posting: money moves that arrive while the database is busy go out together, the way PostgreSQL's
 * group commit and TigerBeetle's request batching amortise what every transaction pays once (a round
 * trip, a statement, a COMMIT and its WAL flush, and the row lock of a hot wallet).
 *
 * There is no timer. A move goes out at once when fewer than `maxInFlight` groups are in flight; otherwise
 * it waits in arrival order, and the moment a group comes back, everything waiting (up to `maxGroupSize`)
 * goes out as the next group. At low load every group has one move and nothing waits longer than it would
 * alone.
 *
 * This class knows nothing of SQL: `send` posts one group as one database transaction and answers each
 * item in order (an item's refusal is that item's answer). When a group fails as a whole, `decide` says
 * whether to retry it (a deadlock), to split it so that the item at fault fails alone and the others
 * still post (every item is then sent on its own, one after the other in the group's slot), or to fail
 * every item with the error (the database is unavailable).
 */

export interface GroupPosterOptions<Item, Answer> {
  /** Groups in flight at once: the connections posting may hold. */
  maxInFlight: number;
  /** Moves per group at most. */
  maxGroupSize: number;
  send(items: readonly Item[]): Promise<Answer[]>;
  /** What to do with a group of `size` items whose `attempt`-th send failed with `error`. */
  decide(error: unknown, size: number, attempt: number): 'retry' | 'split' | 'fail';
  /** Before a retry; the failed transaction has rolled back, so no lock is held while this waits. */
  pause(attempt: number): Promise<void>;
  /** Told of every group sent: its size and how many of its items had to wait for a free slot. */
  onGroup?(size: number, waited: number): void;
  onRetry?(items: readonly Item[], error: unknown): void;
}

interface Pending<Item, Answer> {
  item: Item;
  waited: boolean;
  resolve(answer: Answer): void;
  reject(error: unknown): void;
}

export class GroupPoster<Item, Answer> {
  private readonly waiting: Pending<Item, Answer>[] = [];
  private inFlight = 0;

  constructor(private readonly options: GroupPosterOptions<Item, Answer>) {
    if (options.maxInFlight < 1 || options.maxGroupSize < 1) throw new Error('maxInFlight and maxGroupSize must be at least 1');
  }

  /** Items waiting for a free slot right now. */
  get queued(): number {
    return this.waiting.length;
  }

  post(item: Item): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.push({ item, waited: this.inFlight >= this.options.maxInFlight, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.options.maxGroupSize);
      this.inFlight += 1;
      this.options.onGroup?.(group.length, group.filter((pending) => pending.waited).length);
      void this.settle(group).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  /** Sends the group until it is answered, and answers each item; never throws. */
  private async settle(group: Pending<Item, Answer>[]): Promise<void> {
    const items = group.map((pending) => pending.item);
    for (let attempt = 1; ; attempt++) {
      try {
        const answers = await this.options.send(items);
        if (answers.length !== group.length) throw new Error(`a group of ${group.length} was answered ${answers.length} times`);
        group.forEach((pending, index) => pending.resolve(answers[index]!));
        return;
      } catch (error) {
        const decision = this.options.decide(error, group.length, attempt);
        if (decision === 'retry') {
          this.options.onRetry?.(items, error);
          await this.options.pause(attempt);
          continue;
        }
        if (decision === 'split' && group.length > 1) {
          // Each item alone, one after the other inside this slot, so a split never holds more connections
          // than its slot: the one at fault fails by itself, the others post.
          for (const pending of group) await this.settle([pending]);
          return;
        }
        for (const pending of group) pending.reject(error);
        return;
      }
    }
  }
}
