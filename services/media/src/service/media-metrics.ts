import type { Metrics } from '@darktower/service-kit';
import type { MediaHandlerCore } from '../media-handler.ts';

/** The /metrics series of the handler, refreshed from the core once per tick. */
export function mediaMetrics(metrics: Metrics, core: MediaHandlerCore): { update(): void } {
  const streams = metrics.gauge({ name: 'active_streams', help: 'Published streams (client and cascade)' });
  const outputs = metrics.gauge({
    name: 'forwarded_streams',
    help: 'Forwarded stream outputs (per subscriber)',
  });
  const bwIn = metrics.gauge({ name: 'bandwidth_in_bps', help: 'Media received, bits per second' });
  const bwOut = metrics.gauge({ name: 'bandwidth_out_bps', help: 'Media forwarded, bits per second' });
  const util = metrics.gauge({ name: 'bandwidth_utilization', help: '(in + out) / configured bandwidth' });
  const loss = metrics.gauge({
    name: 'ingest_loss_ratio',
    help: 'Mean sequence-gap loss over published client streams',
  });
  const dropped = metrics.gauge({
    name: 'frames_dropped',
    help: 'Frames dropped by bounded subscriber queues (total)',
  });
  const forwarded = metrics.gauge({ name: 'frames_forwarded', help: 'Frames handed to subscribers (total)' });
  const depth = metrics.gauge({ name: 'queue_depth_frames', help: 'Frames waiting in subscriber queues' });
  const queued = metrics.gauge({ name: 'queue_bytes', help: 'Bytes waiting in subscriber queues' });
  const sessions = metrics.gauge({ name: 'sessions', help: 'Authenticated media sessions' });
  const participants = metrics.gauge({ name: 'participants', help: 'Registered participants' });
  const cascades = metrics.gauge({ name: 'cascade_links', help: 'Handler-to-handler links' });
  return {
    update(): void {
      const t = core.forwarder.totals();
      streams.set(core.forwarder.publishedStreams().length);
      outputs.set(t.outputs);
      bwIn.set(core.capacity.bandwidthInBps);
      bwOut.set(core.capacity.bandwidthOutBps);
      util.set(core.capacity.utilization);
      loss.set(core.meanIngestLoss());
      dropped.set(t.framesDropped);
      forwarded.set(t.framesForwarded);
      depth.set(t.queueDepth);
      queued.set(t.queuedBytes);
      sessions.set(core.sessionCount);
      participants.set(core.participantCount);
      cascades.set(core.cascadeCount);
    },
  };
}
