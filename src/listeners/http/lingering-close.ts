import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/** How long a refused caller may keep sending before its socket is closed. */
export const lingerMs = 2_000;
/** How many bytes a refused caller may send meanwhile. */
export const lingerBytes = 1024 * 1024;

/**
 * Closes a socket whose caller may still be sending (a refused upload, a
 * timed-out head): our side ends (FIN after the answer), then what arrives is
 * read and discarded until the caller closes, or for at most `lingerMs` /
 * `lingerBytes`. Destroying at once would make the kernel answer the unread
 * bytes with a reset, and a reset makes the caller drop the answer unread —
 * curl's "Connection reset by peer" instead of the 413. As nginx's lingering close.
 */
export function lingeringClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.on("error", ignore);
  const start = socket.bytesRead;
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  const check = setInterval(() => {
    if (socket.bytesRead - start > lingerBytes) socket.destroy();
  }, 100);
  check.unref();
  socket.once("close", () => {
    clearTimeout(timer);
    clearInterval(check);
  });
  // The caller's FIN: nothing more will come, so nothing is left to reset.
  socket.once("end", () => socket.destroy());
  if (!socket.writableEnded) socket.end();
  socket.resume();
}

/**
 * Makes the lingering close the way node:http closes this socket after its
 * last response when the caller's body was not read to its end by then
 * (node:http calls `destroySoon`, which destroys as soon as the answer is written).
 */
export function lingerAfterResponse(socket: Socket, req: IncomingMessage): void {
  const destroySoon = socket.destroySoon;
  socket.destroySoon = () => {
    if (req.complete) {
      destroySoon.call(socket);
      return;
    }
    // A body stream the handler gave up on left the request paused; node:http stops the socket while it is.
    req.resume();
    lingeringClose(socket);
  };
}

function ignore(): void {}
