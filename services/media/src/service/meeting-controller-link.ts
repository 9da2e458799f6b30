import { create } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import {
  HealthStatus,
  MediaHandlerCapacitySchema,
  MeetingControllerService,
  type ReportTelemetryRequest,
} from '@darktower/protocol';
import type { Logger } from '@darktower/service-kit';
import type { MediaHandlerCore } from '../media-handler.ts';

export interface MeetingControllerLinkOptions {
  url: string;
  core: MediaHandlerCore;
  region: string;
  mediaUrl: string;
  rpcUrl: string;
  certificateHashes: () => Uint8Array[];
  capacity: { maxStreams: number; maxBandwidthBps: number; maxParticipants: number };
  heartbeatIntervalMs: number;
  /** Bearer token for every call (a token source caches and refreshes it); undefined: none. */
  serviceToken: ((signal?: AbortSignal) => Promise<string>) | undefined;
  logger: Logger;
}

type LinkState =
  { state: 'unregistered' } | { state: 'registered'; intervalMs: number } | { state: 'closed' };

/**
 * Registration, heartbeats (load) and telemetry towards the Meeting Controller (MeetingControllerService). Heartbeats
 * carry the load; telemetry goes out with each heartbeat, one report per meeting. A heartbeat answered with
 * `reregister` (the controller restarted) registers again.
 */
export class MeetingControllerLink {
  readonly #o: MeetingControllerLinkOptions;
  readonly #client: Client<typeof MeetingControllerService>;
  readonly #abort = new AbortController();
  #state: LinkState = { state: 'unregistered' };
  #timer: NodeJS.Timeout | undefined;
  failures = 0;

  constructor(options: MeetingControllerLinkOptions) {
    this.#o = options;
    const token = options.serviceToken;
    this.#client = createClient(
      MeetingControllerService,
      createConnectTransport({
        baseUrl: options.url,
        httpVersion: '1.1',
        interceptors:
          token === undefined
            ? []
            : [
                (next) => async (req) => {
                  req.header.set('authorization', `Bearer ${await token(req.signal)}`);
                  return await next(req);
                },
              ],
      }),
    );
  }

  get registered(): boolean {
    return this.#state.state === 'registered';
  }

  start(): void {
    void this.#beat();
  }

  async #register(): Promise<void> {
    const res = await this.#client.registerMediaHandler(
      {
        handlerId: this.#o.core.handlerId,
        region: this.#o.region,
        mediaUrl: this.#o.mediaUrl,
        rpcUrl: this.#o.rpcUrl,
        capacity: create(MediaHandlerCapacitySchema, {
          maxStreams: this.#o.capacity.maxStreams,
          maxBandwidthBps: BigInt(this.#o.capacity.maxBandwidthBps),
          maxParticipants: this.#o.capacity.maxParticipants,
        }),
        serverCertificateHashes: this.#o.certificateHashes(),
      },
      { signal: this.#abort.signal, timeoutMs: 3000 },
    );
    this.#state = {
      state: 'registered',
      intervalMs: res.heartbeatIntervalMs > 0 ? res.heartbeatIntervalMs : this.#o.heartbeatIntervalMs,
    };
    this.#o.logger.info({ url: this.#o.url }, 'registered with the meeting controller');
  }

  async #beat(): Promise<void> {
    if (this.#state.state === 'closed') return;
    let failed = false;
    try {
      if (this.#state.state === 'unregistered') await this.#register();
      const core = this.#o.core;
      const level = core.capacity.level;
      const hb = await this.#client.mediaHandlerHeartbeat(
        {
          handlerId: core.handlerId,
          load: core.load(),
          health: level === 'ok' ? HealthStatus.HEALTHY : HealthStatus.DEGRADED,
        },
        { signal: this.#abort.signal, timeoutMs: 3000 },
      );
      if (hb.reregister) {
        // The controller restarted and lost us: register again now, not a heartbeat later (until it knows this
        // handler, it assigns nobody here and its participants have no standby).
        this.#state = { state: 'unregistered' };
        await this.#register();
      }
      // One pass over the streams and one over the subscribers, grouped by meeting (not a pass per meeting).
      const byMeeting = new Map<string, Pick<ReportTelemetryRequest, 'telemetry' | 'quality'>>();
      const reportOf = (meetingId: string): Pick<ReportTelemetryRequest, 'telemetry' | 'quality'> => {
        let r = byMeeting.get(meetingId);
        if (r === undefined) byMeeting.set(meetingId, (r = { telemetry: [], quality: [] }));
        return r;
      };
      for (const t of core.telemetry()) reportOf(core.meetingOf(t.participantId) ?? '').telemetry.push(t);
      for (const q of core.quality()) {
        const meetingId = core.meetingOf(q.subscriberParticipantId);
        if (meetingId !== undefined) reportOf(meetingId).quality.push(q);
      }
      for (const [meetingId, { telemetry, quality }] of byMeeting) {
        await this.#client.reportTelemetry(
          { handlerId: core.handlerId, meetingId, telemetry, quality },
          { signal: this.#abort.signal, timeoutMs: 3000 },
        );
      }
    } catch (error) {
      if (this.#isClosed()) return;
      this.failures++;
      failed = true;
      this.#o.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'meeting controller unreachable',
      );
    }
    if (this.#isClosed()) return;
    // After a failure (the controller restarting, say) try again within a second: it answers `reregister` as soon
    // as it is back, and the sooner this handler is registered again, the sooner joins get a standby here.
    const interval =
      this.#state.state === 'registered' && !failed
        ? this.#state.intervalMs
        : Math.min(this.#o.heartbeatIntervalMs, failed ? 1000 : 2000);
    this.#timer = setTimeout(() => void this.#beat(), interval);
    this.#timer.unref();
  }

  #isClosed(): boolean {
    return this.#state.state === 'closed';
  }

  close(): void {
    this.#state = { state: 'closed' };
    this.#abort.abort();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
