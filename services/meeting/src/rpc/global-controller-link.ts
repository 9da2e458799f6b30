// Registration with the Global Controller and the capacity heartbeat. Assignments handed out in responses are
// accepted locally; a `reregister` answer (GC restarted, or forgot us) registers again.
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { GlobalControllerService, HealthStatus, type AssignMeeting } from '@darktower/protocol';
import type { RoomLogger } from '../signaling/room-types.ts';

export interface GlobalControllerLinkOptions {
  readonly url: string;
  /** Bearer token for every call (a token source caches and refreshes it); undefined: none. */
  readonly serviceToken?: () => Promise<string>;
  readonly controllerId: string;
  readonly region: string;
  readonly endpoint: string;
  readonly rpcEndpoint: string;
  readonly certificateHashes: () => readonly Uint8Array[];
  readonly capacity: () => {
    maxMeetings: number;
    currentMeetings: number;
    maxParticipants: number;
    currentParticipants: number;
  };
  readonly meetingIds: () => readonly string[];
  readonly onAssignments: (assignments: readonly AssignMeeting[]) => Promise<void>;
  readonly log: RoomLogger;
  /** Heartbeat interval until the GC says otherwise. */
  readonly defaultIntervalMs?: number;
  /**
   * After a failed heartbeat or registration, the next try comes this soon (default 1 000 ms, never later than the
   * interval). A GC that lost its pool (Redis restarted) then has this controller back within a second of being
   * reachable, not a whole interval later.
   */
  readonly retryMs?: number;
  readonly timeoutMs?: number;
}

type LinkState =
  | { readonly state: 'unregistered'; readonly lastError?: unknown }
  | { readonly state: 'registered'; readonly intervalMs: number; readonly since: number }
  | { readonly state: 'closed' };

export class GlobalControllerLink implements AsyncDisposable {
  readonly #options: GlobalControllerLinkOptions;
  readonly #client: Client<typeof GlobalControllerService>;
  readonly #abort = new AbortController();
  #state: LinkState = { state: 'unregistered' };
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: GlobalControllerLinkOptions) {
    this.#options = options;
    const token = options.serviceToken;
    this.#client = createClient(
      GlobalControllerService,
      createConnectTransport({
        baseUrl: options.url,
        httpVersion: '1.1',
        interceptors:
          token === undefined
            ? []
            : [
                (next) => async (req) => {
                  req.header.set('authorization', `Bearer ${await token()}`);
                  return await next(req);
                },
              ],
      }),
    );
  }

  get registered(): boolean {
    return this.#state.state === 'registered';
  }

  /** Registers now (throws when the GC refuses or is unreachable) and keeps heartbeating. */
  async start(): Promise<void> {
    await this.#register();
    this.#schedule();
  }

  /** Keeps trying in the background (used when the GC is not up yet at start). */
  startInBackground(): void {
    this.#schedule(0);
  }

  #schedule(delayMs?: number): void {
    if (this.#state.state === 'closed') return;
    const defaultMs = this.#options.defaultIntervalMs ?? 5000;
    const interval =
      delayMs ??
      (this.#state.state === 'registered'
        ? this.#state.intervalMs
        : this.#state.lastError !== undefined
          ? Math.min(this.#options.retryMs ?? 1000, defaultMs)
          : defaultMs);
    this.#timer = setTimeout(() => {
      this.#loop = this.#tick().finally(() => {
        this.#schedule();
      });
    }, interval);
  }

  async #tick(): Promise<void> {
    try {
      if (this.#state.state === 'registered') await this.#heartbeat();
      else if (this.#state.state === 'unregistered') await this.#register();
    } catch (error) {
      if (this.#state.state !== 'closed') {
        this.#options.log.warn({ err: error }, 'global controller unreachable');
        this.#state = { state: 'unregistered', lastError: error };
      }
    }
  }

  #signal(): AbortSignal {
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs ?? 3000)]);
  }

  async #register(): Promise<void> {
    const o = this.#options;
    const response = await this.#client.registerMeetingController(
      {
        controller: {
          controllerId: o.controllerId,
          region: o.region,
          endpoint: o.endpoint,
          rpcEndpoint: o.rpcEndpoint,
          capacity: o.capacity(),
          serverCertificateHashes: [...o.certificateHashes()],
        },
      },
      { signal: this.#signal() },
    );
    if (this.#state.state === 'closed') return;
    this.#state = {
      state: 'registered',
      intervalMs:
        response.heartbeatIntervalMs > 0 ? response.heartbeatIntervalMs : (o.defaultIntervalMs ?? 5000),
      since: Date.now(),
    };
    o.log.info({ controllerId: o.controllerId }, 'registered with the global controller');
    await o.onAssignments(response.assignments);
  }

  async #heartbeat(): Promise<void> {
    const o = this.#options;
    const response = await this.#client.heartbeat(
      {
        heartbeat: {
          controllerId: o.controllerId,
          capacity: o.capacity(),
          health: HealthStatus.HEALTHY,
          meetingIds: o.meetingIds().slice(0, 10_000),
        },
      },
      { signal: this.#signal() },
    );
    if (response.reregister) {
      this.#state = { state: 'unregistered' };
      await this.#register();
      return;
    }
    if (this.#state.state === 'registered' && response.heartbeatIntervalMs > 0) {
      this.#state = { ...this.#state, intervalMs: response.heartbeatIntervalMs };
    }
    await o.onAssignments(response.assignments);
  }

  async close(): Promise<void> {
    if (this.#state.state === 'closed') return;
    const wasRegistered = this.#state.state === 'registered';
    this.#state = { state: 'closed' };
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#loop;
    if (wasRegistered) {
      await this.#client
        .deregisterMeetingController(
          { controllerId: this.#options.controllerId, reason: 'shutdown' },
          { signal: AbortSignal.timeout(1000) },
        )
        .catch(() => undefined); // best effort: the GC expires us anyway
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
