// The benchmark's side of a measured child process (the exporter under test, the floor): calls
// arrive over the IPC channel as `{ id, cmd, arg }` and are answered `{ id, ok, result | error }`;
// when the benchmark disconnects, the child closes what it holds and exits.

/**
 * Serves `handlers` (command name to a function of its argument) until the channel closes,
 * then runs `close` and exits; announces itself with `ready` (merged into `{ ready: true }`).
 */
export function serveCalls(handlers, close, ready = {}) {
  process.on("message", (message) => {
    const { id, cmd, arg } = message;
    Promise.resolve()
      .then(() => handlers[cmd](arg))
      .then(
        (result) => process.send({ id, ok: true, result }),
        (err) => process.send({ id, ok: false, error: String(err?.stack ?? err) }),
      );
  });
  process.on("disconnect", () => {
    void close().then(() => process.exit(0));
  });
  process.send({ ready: true, ...ready });
}
