import { closeSync, mkdirSync, openSync, write, writeSync } from "node:fs";
import { dirname } from "node:path";

/** Lines are written in batches of this size, or on a flush (the access log flushes every 250 ms). */
const batchBytes = 64 * 1024;
/** What may wait when the disk falls behind; beyond it, lines are dropped and counted rather than held. */
const maxPendingBytes = 16 * 1024 * 1024;

/**
 * An append-only log file for pino: lines gather in memory and go out in one
 * asynchronous write per 64 KiB (about a third of SonicBoom's CPU per line,
 * measured in `npm run bench -- --only tracing`); one write in flight at a
 * time, so lines keep their order. `reopen` (SIGUSR2, after logrotate moved
 * the file) opens the path again; a write already under way finishes in the
 * moved file.
 */
export class FileSink {
  readonly #path: string;
  readonly #onError: (error: Error) => void;
  #fd: number;
  #pending = "";
  #writing = false;
  #closed = false;
  /** Lines dropped because the disk fell behind (reported once per reopen or close). */
  dropped = 0;

  constructor(path: string, onError: (error: Error) => void) {
    this.#path = path;
    this.#onError = onError;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, "a");
  }

  write(line: string): boolean {
    if (this.#closed) return false;
    if (this.#pending.length + line.length > maxPendingBytes) {
      this.dropped++;
      return false;
    }
    this.#pending += line;
    if (this.#pending.length >= batchBytes) this.flush();
    return true;
  }

  /** Starts writing what is pending, unless a write is under way (it continues when that one ends). */
  flush(): void {
    if (this.#writing || this.#pending === "" || this.#closed) return;
    const data = this.#pending;
    const fd = this.#fd;
    this.#pending = "";
    this.#writing = true;
    write(fd, data, null, "utf8", (error) => {
      this.#writing = false;
      if (error !== null) this.#onError(error);
      if (this.#closed) this.#finish();
      else if (fd !== this.#fd) closeSync(fd);
      else if (this.#pending.length >= batchBytes) this.flush();
    });
  }

  reopen(): void {
    if (this.#closed) return;
    const old = this.#fd;
    this.#fd = openSync(this.#path, "a");
    // A write on the old descriptor closes it when it ends.
    if (!this.#writing) closeSync(old);
  }

  /** Writes what is left (synchronously, after a write under way) and closes the file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#writing) this.#finish();
  }

  #finish(): void {
    try {
      if (this.#pending !== "") writeSync(this.#fd, this.#pending);
    } catch (error) {
      this.#onError(error as Error);
    }
    this.#pending = "";
    closeSync(this.#fd);
  }
}
