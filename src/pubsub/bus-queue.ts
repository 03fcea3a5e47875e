/**
 * The bound on what a bus holds for other processes, in bytes, shared by
 * the IPC and Redis buses. Below the limit a message is taken; past it,
 * while the bus is connected, it is taken and the publisher is asked to wait
 * for room (the queue drains at the pace of the link); past twice the limit
 * (publishers that do not wait) or while the bus is down, it is dropped and
 * counted, with one log line when dropping starts and one when it stops.
 */

export type Admission = 'taken' | 'dropped' | Promise<void>;

export class BusQueue {
  /** Bytes held now. */
  bytes = 0;
  /** Messages dropped so far. */
  dropped = 0;
  private readonly limit: number;
  private readonly name: string;
  private readonly log: (line: string) => void;
  private room: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Drops since the last message taken (one log line per episode). */
  private episode = 0;

  constructor(limit: number, name: string, log: (line: string) => void) {
    if (!(limit > 0)) throw new RangeError(`a bus queue limit must be > 0 bytes, got ${limit}`);
    this.limit = limit;
    this.name = name;
    this.log = log;
  }

  /** Decides for a message of `n` bytes; a taken message is released with release(n). */
  admit(n: number, connected: boolean): Admission {
    if (this.bytes === 0 || this.bytes + n <= this.limit) return this.take(n);
    if (connected && this.bytes + n <= 2 * this.limit) {
      this.take(n);
      if (this.room === null) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.room = { promise, resolve };
      }
      return this.room.promise;
    }
    this.dropped++;
    if (this.episode++ === 0) {
      this.log(`${this.name}: queue full (${this.bytes} bytes${connected ? '' : ', bus down'}): dropping messages for other processes`);
    }
    return 'dropped';
  }

  /** `n` bytes have left (written and acknowledged, or given up). */
  release(n: number): void {
    this.bytes -= n;
    const room = this.room;
    if (room !== null && this.bytes <= this.limit) {
      this.room = null;
      room.resolve();
    }
  }

  /** Wakes every waiting publisher (the bus is closing). */
  close(): void {
    const room = this.room;
    this.room = null;
    room?.resolve();
  }

  private take(n: number): 'taken' {
    if (this.episode > 0) {
      this.log(`${this.name}: queue has room again; ${this.episode} message${this.episode === 1 ? '' : 's'} dropped`);
      this.episode = 0;
    }
    this.bytes += n;
    return 'taken';
  }
}
