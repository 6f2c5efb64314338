import { GroupPoster, type GroupPosterOptions } from './group-poster.js';

/**
 * GroupPoster on its own, with a fake `send`: every group sent is recorded and stays in flight until the
 * test answers it (or fails it), so what goes out, when, and with whom is decided by the test alone.
 */

interface SentGroup {
  items: string[];
  answer(): void;
  fail(error: unknown): void;
}

class FakeDatabase {
  readonly sent: SentGroup[] = [];
  readonly groups: { size: number; waited: number }[] = [];
  readonly pauses: number[] = [];
  readonly retried: string[][] = [];

  poster(options: Partial<GroupPosterOptions<string, string>> = {}): GroupPoster<string, string> {
    return new GroupPoster<string, string>({
      maxInFlight: 1,
      maxGroupSize: 32,
      send: (items) =>
        new Promise<string[]>((resolve, reject) => {
          this.sent.push({ items: [...items], answer: () => resolve(items.map((item) => `answer:${item}`)), fail: reject });
        }),
      decide: (_error, size) => (size > 1 ? 'split' : 'fail'),
      pause: async (attempt) => {
        this.pauses.push(attempt);
      },
      onGroup: (size, waited) => this.groups.push({ size, waited }),
      onRetry: (items) => this.retried.push([...items]),
      ...options,
    });
  }

  /** The items of every group sent so far, in the order they went out. */
  get sentItems(): string[][] {
    return this.sent.map((group) => group.items);
  }
}

/** Lets every settled promise run its continuations (the poster pumps in a `finally`). */
async function settled(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** What a promise has come to so far, without waiting for it. */
function track<T>(promise: Promise<T>) {
  const state: { status: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { status: 'pending' };
  promise.then(
    (value) => Object.assign(state, { status: 'resolved', value }),
    (error: unknown) => Object.assign(state, { status: 'rejected', error }),
  );
  return state;
}

describe('GroupPoster', () => {
  it('refuses a slot count or a group size below 1', () => {
    const db = new FakeDatabase();
    expect(() => db.poster({ maxInFlight: 0 })).toThrow(/at least 1/);
    expect(() => db.poster({ maxGroupSize: 0 })).toThrow(/at least 1/);
  });

  it('sends a move at once, alone, when a slot is free: nothing waits', async () => {
    const db = new FakeDatabase();
    const poster = db.poster({ maxInFlight: 2 });
    const first = poster.post('a');
    // sent before post() even returned to the caller's next line: no timer, no tick
    expect(db.sentItems).toEqual([['a']]);
    const second = poster.post('b');
    expect(db.sentItems).toEqual([['a'], ['b']]);
    expect(poster.queued).toBe(0);
    db.sent[1]!.answer();
    db.sent[0]!.answer();
    expect(await first).toBe('answer:a');
    expect(await second).toBe('answer:b');
    expect(db.groups).toEqual([
      { size: 1, waited: 0 },
      { size: 1, waited: 0 },
    ]);
  });

  it('queues moves while every slot is busy, then sends them together, in arrival order, the moment a slot frees', async () => {
    const db = new FakeDatabase();
    const poster = db.poster({ maxInFlight: 1 });
    const first = poster.post('a');
    const queued = ['b', 'c', 'd'].map((item) => poster.post(item));
    expect(db.sentItems).toEqual([['a']]);
    expect(poster.queued).toBe(3);

    db.sent[0]!.answer();
    await settled();
    expect(db.sentItems).toEqual([['a'], ['b', 'c', 'd']]);
    expect(poster.queued).toBe(0);
    expect(db.groups).toEqual([
      { size: 1, waited: 0 },
      { size: 3, waited: 3 },
    ]);

    db.sent[1]!.answer();
    expect(await first).toBe('answer:a');
    // each item gets its own answer, by position
    expect(await Promise.all(queued)).toEqual(['answer:b', 'answer:c', 'answer:d']);
  });

  it('never sends more than maxGroupSize moves in one group; the rest wait for the next slot', async () => {
    const db = new FakeDatabase();
    const poster = db.poster({ maxInFlight: 1, maxGroupSize: 2 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => poster.post(item));
    expect(db.sentItems).toEqual([['a']]);
    for (let i = 0; i < 4; i++) {
      db.sent[i]!.answer();
      await settled();
    }
    expect(db.sentItems).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f']]);
    expect(await Promise.all(all)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((item) => `answer:${item}`));
    expect(db.groups.map((group) => group.size)).toEqual([1, 2, 2, 1]);
  });

  it('with several slots, a freed slot takes the whole queue (up to maxGroupSize) while the other group is still in flight', async () => {
    const db = new FakeDatabase();
    const poster = db.poster({ maxInFlight: 2, maxGroupSize: 3 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((item) => poster.post(item));
    expect(db.sentItems).toEqual([['a'], ['b']]);
    db.sent[1]!.answer(); // b's slot frees; a is still in flight
    await settled();
    expect(db.sentItems).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    expect(poster.queued).toBe(2);
    db.sent[0]!.answer();
    await settled();
    expect(db.sentItems).toEqual([['a'], ['b'], ['c', 'd', 'e'], ['f', 'g']]);
    db.sent[2]!.answer();
    db.sent[3]!.answer();
    expect(await Promise.all(all)).toHaveLength(7);
  });

  it("resends the same group after a pause when decide says 'retry', holding its slot meanwhile", async () => {
    const db = new FakeDatabase();
    const conflict = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const decisions: { error: unknown; size: number; attempt: number }[] = [];
    const poster = db.poster({
      maxInFlight: 1,
      decide: (error, size, attempt) => {
        decisions.push({ error, size, attempt });
        return 'retry';
      },
    });
    const first = poster.post('a');
    const group = ['b', 'c'].map((item) => poster.post(item));
    db.sent[0]!.answer();
    await settled();
    db.sent[1]!.fail(conflict);
    await settled();
    expect(db.sentItems).toEqual([['a'], ['b', 'c'], ['b', 'c']]);
    const late = poster.post('d'); // the retry holds the only slot: d waits
    expect(db.sentItems).toHaveLength(3);
    db.sent[2]!.fail(conflict);
    await settled();
    expect(db.sentItems).toEqual([['a'], ['b', 'c'], ['b', 'c'], ['b', 'c']]);
    db.sent[3]!.answer();
    await settled();

    expect(await first).toBe('answer:a');
    expect(await Promise.all(group)).toEqual(['answer:b', 'answer:c']);
    expect(decisions).toEqual([
      { error: conflict, size: 2, attempt: 1 },
      { error: conflict, size: 2, attempt: 2 },
    ]);
    expect(db.pauses).toEqual([1, 2]);
    expect(db.retried).toEqual([
      ['b', 'c'],
      ['b', 'c'],
    ]);
    expect(db.sentItems[4]).toEqual(['d']); // only now
    db.sent[4]!.answer();
    expect(await late).toBe('answer:d');
  });

  it("on 'split' sends every item of the group alone: only the one at fault rejects, the others get their answers", async () => {
    const db = new FakeDatabase();
    const broken = new Error('new row violates check constraint "transactions_amount_check"');
    const poster = db.poster({ maxInFlight: 1 });
    const first = poster.post('a');
    const group = ['b', 'bad', 'c'].map((item) => track(poster.post(item)));
    db.sent[0]!.answer();
    await settled();
    db.sent[1]!.fail(broken); // the whole group rolled back
    const late = poster.post('d'); // the split runs inside the group's slot: d waits for all three

    // Answer each item as it goes out (together or one after another, the poster's choice): alone, every time.
    const handled = new Set<number>();
    for (let round = 0; handled.size < 3 && round < 20; round++) {
      await settled();
      expect(db.sentItems).not.toContainEqual(['d']);
      db.sent.forEach((sent, index) => {
        if (index < 2 || handled.has(index)) return;
        expect(sent.items).toHaveLength(1);
        handled.add(index);
        if (sent.items[0] === 'bad') sent.fail(broken);
        else sent.answer();
      });
    }
    await settled();
    expect(db.sentItems.slice(2, 5).sort()).toEqual([['b'], ['bad'], ['c']]);

    expect(await first).toBe('answer:a');
    expect(group.map((state) => state.status)).toEqual(['resolved', 'rejected', 'resolved']);
    expect(group[0]!.value).toBe('answer:b');
    expect(group[1]!.error).toBe(broken);
    expect(group[2]!.value).toBe('answer:c');
    expect(db.sentItems[5]).toEqual(['d']);
    db.sent[5]!.answer();
    expect(await late).toBe('answer:d');
    // the split items are no new groups: onGroup saw a, the group of three, and d
    expect(db.groups.map((g) => g.size)).toEqual([1, 3, 1]);
  });

  it("on 'split' keeps to the group's slot: the items go out one at a time, never two statements at once", async () => {
    const db = new FakeDatabase();
    const broken = new Error('a constraint one move broke');
    const poster = db.poster({ maxInFlight: 1 });
    const first = poster.post('a');
    const group = ['b', 'c', 'd', 'e'].map((item) => poster.post(item));
    db.sent[0]!.answer();
    await settled();
    db.sent[1]!.fail(broken);
    for (const item of ['b', 'c', 'd', 'e']) {
      await settled();
      // exactly one split statement is out, and it is the next item in arrival order
      expect(db.sentItems.slice(2)).toEqual([...db.sentItems.slice(2, -1), [item]]);
      db.sent[db.sent.length - 1]!.answer();
    }
    await first;
    expect(await Promise.all(group)).toEqual(['answer:b', 'answer:c', 'answer:d', 'answer:e']);
    expect(db.sentItems.slice(2)).toEqual([['b'], ['c'], ['d'], ['e']]);
  });

  it("on 'fail' rejects every item of the group with the error and frees the slot for the next group", async () => {
    const db = new FakeDatabase();
    const unavailable = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
    const poster = db.poster({ maxInFlight: 1, decide: () => 'fail' });
    const first = poster.post('a');
    const group = ['b', 'c', 'd'].map((item) => track(poster.post(item)));
    db.sent[0]!.answer();
    await settled();
    const late = poster.post('e');
    db.sent[1]!.fail(unavailable);
    await settled();
    expect(group.map((state) => [state.status, state.error])).toEqual([
      ['rejected', unavailable],
      ['rejected', unavailable],
      ['rejected', unavailable],
    ]);
    expect(db.sentItems).toEqual([['a'], ['b', 'c', 'd'], ['e']]); // sent once, never alone
    db.sent[2]!.answer();
    expect(await first).toBe('answer:a');
    expect(await late).toBe('answer:e');
  });

  it('treats a group answered with the wrong number of answers as a failed group', async () => {
    const db = new FakeDatabase();
    const errors: unknown[] = [];
    const poster = db.poster({
      maxInFlight: 1,
      send: async (items) => (items.length > 1 ? ['only one'] : [`answer:${items[0]}`]),
      decide: (error, size) => {
        errors.push(error);
        return size > 1 ? 'split' : 'fail';
      },
    });
    const results = await Promise.all(['a', 'b', 'c'].map((item) => poster.post(item)));
    // a went alone; b and c went together, were answered once, and were then split and answered alone
    expect(results).toEqual(['answer:a', 'answer:b', 'answer:c']);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('a group of 2 was answered 1 times');
  });
});
