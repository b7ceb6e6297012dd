import PQueue from 'p-queue';

/** Runs `work` without holding a slot; the slot is taken again (queued like any op) before it returns. */
export type OutsideSlot = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * The solve's work slots: a p-queue with one slot per core, where an op holds a slot while it works on this
 * machine's CPU and disks, and may give it up while it only waits — a RUN's container is scheduled by the
 * kernel, not by us, so three independent 2 s RUNs on two cores run at once (as BuildKit's do) while the
 * layer writing around them still takes turns.
 */
export class Slots {
  private readonly queue: PQueue;

  constructor(concurrency: number) {
    this.queue = new PQueue({ concurrency });
  }

  /** Run `task` in a slot; `task` gets `outside` to leave the slot while it waits on something external. */
  run<T>(task: (outside: OutsideSlot) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let release: (() => void) | undefined;
      // A slot is a queue job that stays pending until `release` ends it.
      const acquire = () => new Promise<void>((acquired) => {
        void this.queue.add(() => new Promise<void>((done) => {
          release = done;
          acquired();
        }));
      });
      const outside: OutsideSlot = async (work) => {
        const r = release;
        release = undefined;
        r?.();
        try {
          return await work();
        } finally {
          await acquire();
        }
      };
      acquire().then(() => task(outside)).then(resolve, reject).finally(() => {
        release?.();
        release = undefined;
      });
    });
  }

  /** Resolves when no slot is held or queued. */
  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }
}
