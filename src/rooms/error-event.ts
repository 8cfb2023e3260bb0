// Node 20 has no global ErrorEvent, which @hono/node-ws 1.3 constructs on every socket error (e.g. a frame over the
// size limit); without it each such error prints a ReferenceError. This supplies the small part it uses.
class NodeErrorEvent extends Event {
  readonly error: unknown;
  readonly message: string;
  constructor(type: string, init: { error?: unknown; message?: string } = {}) {
    super(type);
    this.error = init.error;
    this.message = init.message ?? (init.error instanceof Error ? init.error.message : '');
  }
}

const g = globalThis as { ErrorEvent?: unknown };
g.ErrorEvent ??= NodeErrorEvent;
