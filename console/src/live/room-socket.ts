// The incident room socket (/ws/incidents/{id}, README "Incident rooms"), kept open: it reconnects with backoff after
// any loss, asks a fresh single-use ticket before each connect when signed in with a key (a browser cannot send the
// header on an upgrade), and hands every frame to the page, whose welcome handler refetches what it may have missed.
import { reportRefusal, storedKey } from '../access.js';
import { api } from '../api.js';
import type { LiveState } from '../components/connection-banner.js';
import { describeError } from '../errors.js';
import type { ServerFrame } from '../model.js';
import { backoffDelay } from './backoff.js';

export interface RoomHandlers {
  onFrame(frame: ServerFrame): void;
  onState(state: LiveState): void;
}

/** One room connection; `close()` ends it for good. */
export class RoomSocket {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly incidentId: string,
    private readonly user: string | undefined,
    private readonly handlers: RoomHandlers,
  ) {
    void this.connect();
  }

  /** Sends a chat message; false when the socket is not open (the caller keeps the draft). */
  say(user: string, message: string): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify({ user, message }));
    return true;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'page left');
  }

  private async url(): Promise<string> {
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams();
    if (storedKey()) q.set('ticket', (await api.rooms.ticket.mutate({})).ticket);
    else if (this.user) q.set('user', this.user);
    const query = q.toString();
    return `${proto}//${window.location.host}/ws/incidents/${encodeURIComponent(this.incidentId)}${query ? `?${query}` : ''}`;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let url: string;
    try {
      url = await this.url();
    } catch (err) {
      // A refused key is reported (describeError) and the app shows the sign-in; anything else is retried.
      describeError(err);
      this.retry();
      return;
    }
    if (this.closed) return;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (e: MessageEvent<unknown>) => {
      if (typeof e.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(e.data) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') {
        this.attempt = 0;
        this.handlers.onState('live');
      }
      if (frame.type === 'error' && frame.code === 'unauthorized') {
        // The key was revoked, or the server, open when the page loaded, now needs one: the socket closes next, and
        // without a key its reconnects would be refused as plain 401s the page never sees. The app asks for a key.
        reportRefusal({ status: 401, message: frame.message });
      }
      this.handlers.onFrame(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.retry();
    };
  }

  private retry(): void {
    if (this.closed) return;
    this.handlers.onState('reconnecting');
    this.timer = setTimeout(() => void this.connect(), backoffDelay(this.attempt));
    this.attempt += 1;
  }
}
