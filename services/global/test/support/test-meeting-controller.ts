import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import {
  ControllerCapacitySchema,
  GlobalControllerService,
  HealthStatus,
  MeetingControllerService,
  ParticipantSchema,
  type AssignMeeting,
} from '@darktower/protocol';

/**
 * The peer side of the Global Controller's internal RPC: a small real Connect server implementing
 * MeetingControllerService (assign, end, state), registering and heartbeating over the real wire. It stands in for
 * services/meeting, which is being written at the same time.
 */
export class TestMeetingController implements AsyncDisposable {
  readonly id: string;
  readonly region: string;
  readonly meetings = new Map<string, AssignMeeting>();
  readonly ended: { meetingId: string; reason: string }[] = [];
  readonly assignCalls: string[] = [];
  readonly authorizations: (string | null)[] = [];
  /** The W3C traceparent header of each AssignMeeting call. */
  readonly traceparents: (string | null)[] = [];
  participants = 0;
  maxMeetings = 100;
  refuse = false;
  readonly #server: Server;
  #gc: Client<typeof GlobalControllerService> | undefined;
  #serviceToken = '';

  private constructor(id: string, region: string, server: Server) {
    this.id = id;
    this.region = region;
    this.#server = server;
  }

  static async start(id: string, region = 'test-region'): Promise<TestMeetingController> {
    const ref: { mc?: TestMeetingController } = {};
    const handler = connectNodeAdapter({
      routes: (router) => {
        router.service(MeetingControllerService, {
          assignMeeting: (req, ctx) => {
            const mc = ref.mc;
            if (mc === undefined) throw new ConnectError('not ready', Code.Unavailable);
            mc.authorizations.push(ctx.requestHeader.get('authorization'));
            mc.traceparents.push(ctx.requestHeader.get('traceparent'));
            const a = req.assignment;
            if (a === undefined) throw new ConnectError('no assignment', Code.InvalidArgument);
            mc.assignCalls.push(a.meetingId);
            if (mc.refuse) return { accepted: false, endpoint: '' };
            mc.meetings.set(a.meetingId, a);
            return { accepted: true, endpoint: mc.clientUrl };
          },
          endMeeting: (req) => {
            const mc = ref.mc;
            if (mc === undefined) throw new ConnectError('not ready', Code.Unavailable);
            mc.meetings.delete(req.meetingId);
            mc.ended.push({ meetingId: req.meetingId, reason: req.reason });
            return { participantsDisconnected: mc.participants };
          },
          getMeetingState: (req) => {
            const mc = ref.mc;
            if (!mc?.meetings.has(req.meetingId)) throw new ConnectError('no meeting', Code.NotFound);
            return {
              meetingId: req.meetingId,
              participants: Array.from({ length: mc.participants }, (_, i) =>
                create(ParticipantSchema, { participantId: `p${i}`, name: `P${i}` }),
              ),
            };
          },
        });
      },
    });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const mc = new TestMeetingController(id, region, server);
    ref.mc = mc;
    return mc;
  }

  get rpcUrl(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get clientUrl(): string {
    return `https://${this.id}.mc.test/wt`;
  }

  /** Sets up the client to the Global Controller without registering. */
  connect(gcUrl: string, serviceToken: string): Client<typeof GlobalControllerService> {
    const gc = createClient(
      GlobalControllerService,
      createConnectTransport({ baseUrl: gcUrl, httpVersion: '1.1' }),
    );
    this.#gc = gc;
    this.#serviceToken = serviceToken;
    return gc;
  }

  async register(
    gcUrl: string,
    serviceToken: string,
  ): Promise<{ heartbeatIntervalMs: number; assignments: string[] }> {
    const gc = this.connect(gcUrl, serviceToken);
    const res = await gc.registerMeetingController(
      {
        controller: {
          controllerId: this.id,
          region: this.region,
          endpoint: this.clientUrl,
          rpcEndpoint: this.rpcUrl,
          capacity: this.#capacity(),
        },
      },
      { headers: { authorization: `Bearer ${serviceToken}` } },
    );
    return {
      heartbeatIntervalMs: res.heartbeatIntervalMs,
      assignments: res.assignments.map((a) => a.meetingId),
    };
  }

  async heartbeat(
    health: HealthStatus = HealthStatus.HEALTHY,
  ): Promise<{ reregister: boolean; assignments: string[] }> {
    if (this.#gc === undefined) throw new Error('register first');
    const res = await this.#gc.heartbeat(
      {
        heartbeat: {
          controllerId: this.id,
          capacity: this.#capacity(),
          health,
          meetingIds: [...this.meetings.keys()],
        },
      },
      { headers: { authorization: `Bearer ${this.#serviceToken}` } },
    );
    return { reregister: res.reregister, assignments: res.assignments.map((a) => a.meetingId) };
  }

  #capacity(): ReturnType<typeof create<typeof ControllerCapacitySchema>> {
    return create(ControllerCapacitySchema, {
      maxMeetings: this.maxMeetings,
      currentMeetings: this.meetings.size,
      maxParticipants: 1000,
      currentParticipants: this.participants,
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
