import type { Clock } from '../clock.ts';
import { MediaError } from '../errors.ts';
import { streamIdToBytes, type StreamId } from '../ids.ts';
import { CapacityMeter } from './capacity.ts';
import {
  destinationKey,
  type Destination,
  type EgressEndpoint,
  type PublisherHandle,
  type StreamInfo,
} from './destination.ts';
import type { ForwardFrame } from './frame.ts';
import { KeyframeLimiter } from './keyframe-limiter.ts';
import { LayerSwitch, selectLayer, type LayerInfo } from './simulcast.ts';
import { StreamStats } from './stream-stats.ts';
import { SubscriberOutput, type OutputCounters, type OutputLimits } from './subscriber-output.ts';

export interface ForwarderOptions {
  clock: Clock;
  limits: OutputLimits;
  /** Minimum interval between key frame requests per publisher stream. */
  keyframeIntervalMs: number;
  capacity: CapacityMeter;
  /** Wall clock in microseconds since the epoch (for jitter / added delay); defaults to Date.now() * 1000. */
  wallClockUs?: () => number;
}

interface Published {
  info: StreamInfo;
  origin: 'client' | 'cascade';
  handle: PublisherHandle;
  stats: StreamStats;
  /** Video: the last key frame and the frames after it, while young and short enough to replay (see FAST_START). */
  recent: RecentFrames | undefined;
}

interface RecentFrames {
  frames: ForwardFrame[];
  bytes: number;
  /** When the key frame arrived (clock ms). */
  keyAtMs: number;
}

/**
 * Fast start: a new subscription to a video stream whose last key frame arrived less than `ageMs` ago gets that
 * key frame and the frames after it at once (the same buffers), instead of waiting for the key frame it asks the
 * publisher for (a round trip through the publisher's capture and encoder: 50-250 ms in the web bench). A joiner
 * usually subscribes just after the publishers' key frames of its MLS epoch went out. Bounded per stream in
 * frames, bytes and age, so the replay is a short burst and the memory small; past any bound the chain is
 * dropped until the next key frame, and new subscribers ask for a key frame as before.
 */
const FAST_START = { ageMs: 300, maxFrames: 16, maxBytes: 256 * 1024 };

interface SimulcastGroup {
  info: StreamInfo;
  layers: LayerInfo[];
}

export interface RouteOptions {
  /** The id the subscriber receives the stream under (its layout slot stream id); default: the source id. */
  forwardedId?: StreamId | undefined;
  /** Highest simulcast layer index the subscriber's layout slot calls for (default: the highest). */
  maxLayer?: number | undefined;
  /** Layout slot, passed on in the stream announcement. */
  slot?: number | undefined;
}

interface Route {
  destination: Destination;
  forwardedId: StreamId;
  maxLayer: number;
  slot: number | undefined;
}

interface Subscription {
  key: string;
  /** The routed source: a published stream or a simulcast group. */
  sourceId: StreamId;
  route: Route;
  destination: Destination;
  output: SubscriberOutput;
  /** Streams whose frames feed this output (one, or every layer of a simulcast group). */
  sources: StreamId[];
  gate: LayerSwitch | undefined;
}

interface Fanout {
  toClients: Subscription[];
  toHandlers: Subscription[];
}

/**
 * The forwarding core: publishers feed frames in, the routing table (commanded by the Meeting Controller)
 * says where each stream goes, and every connected destination gets its own bounded SubscriberOutput per stream.
 *
 * Loop freedom, twice over: no output towards a handler is ever created for a stream that arrived over a cascade
 * link, and the fan-out lists are split by destination kind so a frame whose origin is a cascade link is only
 * ever offered to `toClients`. A frame therefore crosses at most one handler-to-handler hop, whatever routes the
 * controller sends.
 */
export class Forwarder {
  readonly #clock: Clock;
  readonly #limits: OutputLimits;
  readonly #capacity: CapacityMeter;
  readonly #wallClockUs: () => number;
  readonly #keyframes: KeyframeLimiter;
  readonly #published = new Map<StreamId, Published>();
  readonly #groups = new Map<StreamId, SimulcastGroup>();
  readonly #routes = new Map<StreamId, Map<string, Route>>();
  readonly #endpoints = new Map<string, { endpoint: EgressEndpoint; availableBps: number }>();
  readonly #subs = new Map<string, Subscription>();
  /**
   * Highest layer a subscriber asked for per forwarded id (SubscriberFeedback.preferred_layer_id: what its layout
   * slot's size calls for), keyed like destinationKey|forwardedId. Kept while the slot changes source.
   */
  readonly #preferred = new Map<string, string>();
  readonly #fanout = new Map<StreamId, Fanout>();
  /** Counters of closed outputs, so totals survive subscribers leaving. */
  readonly #retired: OutputCounters = {
    framesForwarded: 0,
    bytesForwarded: 0,
    framesDropped: 0,
    bytesDropped: 0,
    keyframeRequests: 0,
  };
  #closed = false;
  /** Frames that arrived for a stream nobody publishes here (counted, ignored). */
  unknownFrames = 0;
  /** Relayed streams that gave way to another link or to their publisher (see addPublisher). */
  relayedStreamsMoved = 0;
  /** New video subscriptions that started from the stream's recent key frame (FAST_START) without a request. */
  fastStarts = 0;

  constructor(options: ForwarderOptions) {
    this.#clock = options.clock;
    this.#limits = options.limits;
    this.#capacity = options.capacity;
    this.#wallClockUs = options.wallClockUs ?? (() => Date.now() * 1000);
    this.#keyframes = new KeyframeLimiter({
      clock: options.clock,
      minIntervalMs: options.keyframeIntervalMs,
      send: (streamId) => this.#published.get(streamId)?.handle.requestKeyframe(streamId),
    });
  }

  // ---- publishers -------------------------------------------------------------------------------------------

  addPublisher(info: StreamInfo, origin: 'client' | 'cascade', handle: PublisherHandle): void {
    const existing = this.#published.get(info.streamId);
    if (existing !== undefined) {
      // A relayed stream gives way to a new path: another cascade link (the controller rerouted it after a
      // handler died; the dead handler's link lingers until QUIC's idle timeout), or its publisher itself, who
      // failed over to this handler (only the controller's grant lets a client publish the id). A client's own
      // publication is never displaced.
      if (existing.origin !== 'cascade' || existing.handle === handle) {
        throw new MediaError('CONFLICT', `stream ${info.streamId} is already published`);
      }
      this.#published.delete(info.streamId);
      existing.handle.relinquish?.(info.streamId);
      this.relayedStreamsMoved++;
    }
    this.#published.set(info.streamId, {
      info,
      origin,
      handle,
      stats: new StreamStats(),
      recent: undefined,
    });
    this.#reconcile();
  }

  /** `handle`: only when it still is the stream's publisher (a link being torn down never removes its successor's). */
  removePublisher(streamId: StreamId, handle?: PublisherHandle): void {
    const pub = this.#published.get(streamId);
    if (pub === undefined || (handle !== undefined && pub.handle !== handle)) return;
    this.#published.delete(streamId);
    this.#keyframes.forget(streamId);
    this.#reconcile();
  }

  isPublished(streamId: StreamId): boolean {
    return this.#published.has(streamId);
  }

  /** Declares a simulcast source: `groupId` is what subscribers see, `layers` (low to high) what publishers send. */
  defineSimulcast(info: StreamInfo, layers: LayerInfo[]): void {
    if (layers.length === 0) throw MediaError.invalidRequest('a simulcast group needs layers');
    this.#groups.set(info.streamId, { info, layers });
    this.#reconcile();
  }

  removeSimulcast(groupId: StreamId): void {
    if (this.#groups.delete(groupId)) this.#reconcile();
  }

  // ---- routing table ----------------------------------------------------------------------------------------

  addRoute(sourceId: StreamId, destination: Destination, options: RouteOptions = {}): void {
    const forwardedId = destination.kind === 'handler' ? sourceId : (options.forwardedId ?? sourceId);
    let byDest = this.#routes.get(sourceId);
    if (byDest === undefined) this.#routes.set(sourceId, (byDest = new Map<string, Route>()));
    byDest.set(routeKey(destination, forwardedId), {
      destination,
      forwardedId,
      maxLayer: options.maxLayer ?? Number.MAX_SAFE_INTEGER,
      slot: options.slot,
    });
    this.#reconcile();
  }

  /** Removes one route; without `forwardedId`, every route of the source to that destination. Returns how many. */
  removeRoute(sourceId: StreamId, destination: Destination, forwardedId?: StreamId): number {
    const byDest = this.#routes.get(sourceId);
    if (byDest === undefined) return 0;
    const destKey = destinationKey(destination);
    let n = 0;
    for (const [key, route] of byDest) {
      if (destinationKey(route.destination) !== destKey) continue;
      if (forwardedId !== undefined && route.forwardedId !== forwardedId) continue;
      byDest.delete(key);
      n++;
    }
    if (byDest.size === 0) this.#routes.delete(sourceId);
    this.#reconcile();
    return n;
  }

  /** Drops every route to a destination (it left the meeting). Returns how many. */
  removeRoutesTo(destination: Destination): number {
    const destKey = destinationKey(destination);
    let n = 0;
    for (const [sourceId, byDest] of this.#routes) {
      for (const [key, route] of byDest) {
        if (destinationKey(route.destination) === destKey) {
          byDest.delete(key);
          n++;
        }
      }
      if (byDest.size === 0) this.#routes.delete(sourceId);
    }
    this.#reconcile();
    return n;
  }

  /** Drops every route of a source (its publisher left the meeting). Returns how many. */
  removeRoutesFrom(sourceId: StreamId): number {
    const n = this.#routes.get(sourceId)?.size ?? 0;
    this.#routes.delete(sourceId);
    this.#reconcile();
    return n;
  }

  get routeCount(): number {
    let n = 0;
    for (const byDest of this.#routes.values()) n += byDest.size;
    return n;
  }

  // ---- destinations -----------------------------------------------------------------------------------------

  attach(endpoint: EgressEndpoint): void {
    const key = destinationKey(endpoint.destination);
    if (this.#endpoints.has(key)) throw new MediaError('CONFLICT', `${key} is already connected`);
    this.#endpoints.set(key, { endpoint, availableBps: Number.POSITIVE_INFINITY });
    this.#reconcile();
  }

  /**
   * `endpoint`: only when it still is the one attached for the destination (a replaced session tearing down late
   * must not detach its successor).
   */
  detach(destination: Destination, endpoint?: EgressEndpoint): void {
    const destKey = destinationKey(destination);
    if (endpoint !== undefined && this.#endpoints.get(destKey)?.endpoint !== endpoint) return;
    for (const key of this.#preferred.keys()) if (key.startsWith(`${destKey}|`)) this.#preferred.delete(key);
    if (this.#endpoints.delete(destKey)) this.#reconcile();
  }

  /**
   * A subscriber's preferred simulcast layer for what it receives under `forwardedId` (its slot id or the group
   * id): no layer above it is sent, whichever source fills the slot; an unknown layer id or '' lifts the cap.
   * Only for a stream the destination receives now, so the map stays bounded by its subscriptions.
   */
  setPreferredLayer(destination: Destination, forwardedId: StreamId, layerId: string): void {
    const destKey = destinationKey(destination);
    const subs = [...this.#subs.values()].filter(
      (s) => s.route.forwardedId === forwardedId && destinationKey(s.destination) === destKey,
    );
    if (subs.length === 0) return;
    const key = `${destKey}|${forwardedId}`;
    if (layerId === '') this.#preferred.delete(key);
    else this.#preferred.set(key, layerId);
    // Also when unchanged: subscribers repeat their preference, which re-checks paused and resumed layers.
    for (const sub of subs) this.#retarget(sub);
  }

  /** The route's layer cap, lowered to the subscriber's preferred layer when it named one of this group's. */
  #maxLayer(route: Route, group: SimulcastGroup): number {
    const preferred = this.#preferred.get(`${destinationKey(route.destination)}|${route.forwardedId}`);
    const index = preferred === undefined ? -1 : group.layers.findIndex((l) => l.layerId === preferred);
    return index < 0 ? route.maxLayer : Math.min(route.maxLayer, index);
  }

  /** Subscriber feedback: its available bandwidth; re-selects simulcast layers. */
  setAvailableBandwidth(destination: Destination, bps: number): void {
    const ep = this.#endpoints.get(destinationKey(destination));
    if (ep === undefined) return;
    ep.availableBps = bps;
    for (const sub of this.#subs.values()) {
      if (sub.gate !== undefined && destinationKey(sub.destination) === destinationKey(destination)) {
        this.#retarget(sub);
      }
    }
  }

  /**
   * A key frame request from downstream (a client or a cascade peer) for a stream published here. A subscriber of
   * a simulcast source knows only the group id (its layout names the group, frames arrive relabelled): a request
   * naming the group, or the slot id it receives the group under, goes to the layer that subscriber's gate
   * forwards or waits for (without a destination: to every layer some subscriber wants); a request naming the slot
   * id a plain stream is forwarded under goes to that stream. Returns whether any request was made.
   */
  requestKeyframe(streamId: StreamId, destination?: Destination): boolean {
    if (this.#published.has(streamId)) {
      this.#keyframes.request(streamId);
      return true;
    }
    const destKey = destination === undefined ? undefined : destinationKey(destination);
    const layers = new Set<StreamId>();
    for (const sub of this.#subs.values()) {
      if (sub.sourceId !== streamId && sub.route.forwardedId !== streamId) continue;
      if (destKey !== undefined && destinationKey(sub.destination) !== destKey) continue;
      // A plain stream forwarded under a slot id: its source (a receiver that knows only the slot, such as one
      // whose frames did not decrypt yet, asks by slot id).
      layers.add(sub.gate?.wanted ?? sub.sourceId);
    }
    const group = this.#groups.get(streamId);
    if (layers.size === 0 && group !== undefined && destination === undefined) {
      for (const layer of group.layers) layers.add(layer.streamId);
    }
    for (const layer of layers) if (this.#published.has(layer)) this.#keyframes.request(layer);
    return layers.size > 0;
  }

  // ---- the hot path -----------------------------------------------------------------------------------------

  /** Offers one frame to every subscriber of its stream. Synchronous: never waits for any subscriber. */
  ingest(frame: ForwardFrame): void {
    const pub = this.#published.get(frame.streamId);
    if (pub === undefined) {
      this.unknownFrames++;
      return;
    }
    const now = this.#clock.now();
    pub.stats.record(frame, this.#wallClockUs(), now);
    this.#capacity.addIn(frame.wire.byteLength);
    if (frame.kind !== 'audio') this.#remember(pub, frame, now);
    const fan = this.#fanout.get(frame.streamId);
    if (fan === undefined) return;
    for (const sub of fan.toClients) {
      if (sub.gate === undefined || sub.gate.accept(frame)) sub.output.push(frame);
      else if (frame.kind === 'key' && sub.gate.waiting) {
        // A key frame of another layer while this subscriber waits for one: if the awaited layer stopped (the
        // publisher paused it), take what flows instead of waiting for a key frame that does not come.
        this.#retarget(sub);
        if (sub.gate.accept(frame)) sub.output.push(frame);
      }
    }
    // Loop freedom: what came from a cascade link never goes back out to one.
    if (frame.origin === 'client') for (const sub of fan.toHandlers) sub.output.push(frame);
  }

  // ---- observation ------------------------------------------------------------------------------------------

  streamStats(streamId: StreamId): ReturnType<StreamStats['snapshot']> | undefined {
    return this.#published.get(streamId)?.stats.snapshot(this.#clock.now());
  }

  publishedStreams(): { info: StreamInfo; origin: 'client' | 'cascade' }[] {
    return [...this.#published.values()].map((p) => ({ info: p.info, origin: p.origin }));
  }

  /** Totals over all outputs, live and closed. */
  totals(): OutputCounters & {
    queueDepth: number;
    queuedBytes: number;
    outputs: number;
    waitingForKey: number;
  } {
    const t = { ...this.#retired, queueDepth: 0, queuedBytes: 0, outputs: this.#subs.size, waitingForKey: 0 };
    for (const sub of this.#subs.values()) {
      const c = sub.output.counters;
      t.framesForwarded += c.framesForwarded;
      t.bytesForwarded += c.bytesForwarded;
      t.framesDropped += c.framesDropped;
      t.bytesDropped += c.bytesDropped;
      t.keyframeRequests += c.keyframeRequests;
      t.queueDepth += sub.output.queueDepth;
      t.queuedBytes += sub.output.queuedBytes;
      if (sub.output.isWaitingForKeyframe) t.waitingForKey++;
    }
    return t;
  }

  /** Forwarding counters summed over every live output fed by a published stream. */
  sourceCounters(streamId: StreamId): OutputCounters {
    const t: OutputCounters = {
      framesForwarded: 0,
      bytesForwarded: 0,
      framesDropped: 0,
      bytesDropped: 0,
      keyframeRequests: 0,
    };
    for (const sub of this.#subs.values()) {
      if (!sub.sources.includes(streamId)) continue;
      const c = sub.output.counters;
      t.framesForwarded += c.framesForwarded;
      t.bytesForwarded += c.bytesForwarded;
      t.framesDropped += c.framesDropped;
      t.bytesDropped += c.bytesDropped;
      t.keyframeRequests += c.keyframeRequests;
    }
    return t;
  }

  /** Counters of the output carrying `sourceId` to `destination` (under `forwardedId`), if it exists. */
  outputCounters(
    sourceId: StreamId,
    destination: Destination,
    forwardedId = sourceId,
  ): OutputCounters | undefined {
    return this.#subs.get(`${sourceId}|${routeKey(destination, forwardedId)}`)?.output.counters;
  }

  get keyframeRequestsSent(): number {
    return this.#keyframes.sent;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#keyframes.close();
    for (const sub of this.#subs.values()) this.#closeSub(sub);
    this.#subs.clear();
    this.#fanout.clear();
    this.#endpoints.clear();
  }

  // ---- internals --------------------------------------------------------------------------------------------

  /** Brings the set of outputs in line with routes x connected destinations x known streams. */
  #reconcile(): void {
    if (this.#closed) return;
    const wanted = new Map<string, Wanted>();
    for (const [sourceId, byDest] of this.#routes) {
      const group = this.#groups.get(sourceId);
      for (const route of byDest.values()) {
        if (!this.#endpoints.has(destinationKey(route.destination))) continue;
        if (group !== undefined && route.destination.kind === 'handler') {
          // Cascade links carry every layer under its own id; the far handler selects per subscriber.
          for (const layer of group.layers) {
            const pub = this.#published.get(layer.streamId);
            if (pub?.origin !== 'client') continue; // loop freedom, see ingest()
            const r = { ...route, forwardedId: layer.streamId };
            wanted.set(subKey(layer.streamId, r), {
              sourceId: layer.streamId,
              sources: [layer.streamId],
              route: r,
              info: pub.info,
              group: undefined,
            });
          }
          continue;
        }
        if (group !== undefined) {
          const sources = group.layers.map((l) => l.streamId);
          wanted.set(subKey(sourceId, route), { sourceId, sources, route, info: group.info, group });
          continue;
        }
        const pub = this.#published.get(sourceId);
        if (pub === undefined) continue;
        // Loop freedom: a stream that arrived over a cascade link is never opened towards another handler.
        if (pub.origin === 'cascade' && route.destination.kind === 'handler') continue;
        wanted.set(subKey(sourceId, route), {
          sourceId,
          sources: [sourceId],
          route,
          info: pub.info,
          group: undefined,
        });
      }
    }
    for (const [key, sub] of this.#subs) {
      if (!wanted.has(key)) {
        this.#subs.delete(key);
        this.#unlink(sub);
        this.#closeSub(sub);
      }
    }
    for (const [key, w] of wanted) {
      const existing = this.#subs.get(key);
      if (existing !== undefined) {
        if (existing.gate !== undefined) this.#retarget(existing);
        continue;
      }
      const ep = this.#endpoints.get(destinationKey(w.route.destination));
      if (ep === undefined) continue;
      this.#createSub(key, w, ep.endpoint);
    }
  }

  #createSub(key: string, w: Wanted, endpoint: EgressEndpoint): void {
    const { sourceId, sources, route, info, group } = w;
    const streamId = route.forwardedId;
    let gate: LayerSwitch | undefined;
    const relabel = group !== undefined || streamId !== sourceId;
    const output = new SubscriberOutput({
      streamId,
      media: info.media,
      limits: this.#limits,
      relabel: relabel ? streamIdToBytes(streamId) : undefined,
      sink: endpoint.openSink({ forwardedId: streamId, source: info, slot: route.slot }),
      // Called from the constructor too, before the subscription exists: the request below covers that one.
      onKeyframeNeeded: (out) => {
        const s = this.#subs.get(key);
        if (s?.output === out) this.#keyframes.request(s.gate?.wanted ?? sourceId);
      },
      onSinkError: (out) => {
        const s = this.#subs.get(key);
        if (s?.output === out) {
          this.#subs.delete(key);
          this.#unlink(s);
          this.#retire(s);
        }
      },
    });
    if (group !== undefined) {
      const ep = this.#endpoints.get(destinationKey(route.destination));
      this.#measure(group);
      const initial = selectLayer(
        group.layers,
        this.#maxLayer(route, group),
        ep?.availableBps ?? Number.POSITIVE_INFINITY,
      );
      gate = new LayerSwitch(sources, initial, (layer) => {
        this.#keyframes.request(layer);
      });
    }
    const sub: Subscription = {
      key,
      sourceId,
      route,
      destination: route.destination,
      output,
      sources,
      gate,
    };
    this.#subs.set(key, sub);
    for (const source of sources) {
      let fan = this.#fanout.get(source);
      if (fan === undefined) this.#fanout.set(source, (fan = { toClients: [], toHandlers: [] }));
      (route.destination.kind === 'participant' ? fan.toClients : fan.toHandlers).push(sub);
    }
    if (info.media !== 'video') return;
    const wanted = gate?.wanted ?? sourceId;
    if (!this.#fastStart(wanted, output, gate)) this.#keyframes.request(wanted);
  }

  /** Keeps the stream's chain since its last key frame while FAST_START allows (the ingest hot path: O(1)). */
  #remember(pub: Published, frame: ForwardFrame, now: number): void {
    if (frame.kind === 'key') {
      pub.recent = { frames: [frame], bytes: frame.wire.byteLength, keyAtMs: now };
      return;
    }
    const r = pub.recent;
    if (r === undefined) return;
    r.frames.push(frame);
    r.bytes += frame.wire.byteLength;
    if (
      r.frames.length > FAST_START.maxFrames ||
      r.bytes > FAST_START.maxBytes ||
      now - r.keyAtMs > FAST_START.ageMs
    )
      pub.recent = undefined;
  }

  /** Replays the young key frame chain of `source` into a new output; whether the output got a key frame. */
  #fastStart(source: StreamId, output: SubscriberOutput, gate: LayerSwitch | undefined): boolean {
    const r = this.#published.get(source)?.recent;
    if (r === undefined || this.#clock.now() - r.keyAtMs > FAST_START.ageMs) return false;
    for (const f of r.frames) if (gate === undefined || gate.accept(f)) output.push(f);
    if (output.isWaitingForKeyframe) return false;
    this.fastStarts++;
    return true;
  }

  #retarget(sub: Subscription): void {
    if (sub.gate === undefined) return;
    const group = this.#groups.get(sub.sourceId);
    const route = sub.route;
    const ep = this.#endpoints.get(destinationKey(sub.destination));
    if (group === undefined || ep === undefined) return;
    this.#measure(group);
    sub.gate.setTarget(selectLayer(group.layers, this.#maxLayer(route, group), ep.availableBps));
  }

  /** Current bitrates of a group's layers; a layer without frames while another has them counts as paused. */
  #measure(group: SimulcastGroup): void {
    const now = this.#clock.now();
    for (const layer of group.layers) {
      const measured = this.#published.get(layer.streamId)?.stats.snapshot(now).bitrate;
      layer.measuredBitrate = measured !== undefined && measured > 0 ? measured : undefined;
    }
    const flowing = group.layers.some((l) => l.measuredBitrate !== undefined);
    for (const layer of group.layers) layer.paused = flowing && layer.measuredBitrate === undefined;
  }

  #unlink(sub: Subscription): void {
    for (const source of sub.sources) {
      const fan = this.#fanout.get(source);
      if (fan === undefined) continue;
      fan.toClients = fan.toClients.filter((s) => s !== sub);
      fan.toHandlers = fan.toHandlers.filter((s) => s !== sub);
      if (fan.toClients.length === 0 && fan.toHandlers.length === 0) this.#fanout.delete(source);
    }
  }

  #closeSub(sub: Subscription): void {
    sub.output.close();
    this.#retire(sub);
  }

  #retire(sub: Subscription): void {
    const c = sub.output.counters;
    this.#retired.framesForwarded += c.framesForwarded;
    this.#retired.bytesForwarded += c.bytesForwarded;
    this.#retired.framesDropped += c.framesDropped;
    this.#retired.bytesDropped += c.bytesDropped;
    this.#retired.keyframeRequests += c.keyframeRequests;
  }
}

interface Wanted {
  sourceId: StreamId;
  sources: StreamId[];
  route: Route;
  info: StreamInfo;
  group: SimulcastGroup | undefined;
}

function routeKey(destination: Destination, forwardedId: StreamId): string {
  return `${destinationKey(destination)}|${forwardedId}`;
}

function subKey(sourceId: StreamId, route: Route): string {
  return `${sourceId}|${routeKey(route.destination, route.forwardedId)}`;
}
