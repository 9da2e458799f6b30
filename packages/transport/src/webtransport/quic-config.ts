// quiche configuration for both roles: ALPN h3, datagrams on, flow-control windows sized from the limits.
import quiche from '@matrixai/quic/native/quiche.js';
import type { Config } from '@matrixai/quic/native/types.js';
import type { TransportLimits } from './limits.ts';

const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
const DGRAM_SEND_SLICE = 64;

function common(config: Config, limits: TransportLimits): Config {
  config.setApplicationProtos(['h3']);
  config.setMaxIdleTimeout(limits.idleTimeoutMs);
  config.setMaxRecvUdpPayloadSize(1500);
  config.setMaxSendUdpPayloadSize(1350);
  config.setInitialMaxData(CONNECTION_WINDOW);
  config.setInitialMaxStreamDataBidiLocal(STREAM_WINDOW);
  config.setInitialMaxStreamDataBidiRemote(STREAM_WINDOW);
  config.setInitialMaxStreamDataUni(STREAM_WINDOW);
  config.setMaxStreamWindow(8 * STREAM_WINDOW);
  config.setMaxConnectionWindow(4 * CONNECTION_WINDOW);
  // Each session may hold maxStreamsPerSession streams; a few more for control, QPACK and CONNECT streams.
  const streams = limits.maxSessionsPerConnection * limits.maxStreamsPerSession + 8;
  config.setInitialMaxStreamsBidi(streams);
  config.setInitialMaxStreamsUni(streams);
  config.setDisableActiveMigration(true);
  // Pacing information is not usable from JS, and CUBIC bursts lose packets on loopback; BBR does not.
  config.setCcAlgorithm(quiche.CongestionControlAlgorithm.BBR);
  // Outgoing datagrams wait in a bounded JS queue (drop-oldest, counted); quiche's own queue stays small.
  config.enableDgram(true, limits.maxDatagramQueue, DGRAM_SEND_SLICE);
  return config;
}

export function serverConfig(certPem: string, keyPem: string, limits: TransportLimits): Config {
  const enc = new TextEncoder();
  const config = quiche.Config.withBoringSslCtx(
    false,
    false,
    null,
    [enc.encode(keyPem)],
    [enc.encode(certPem)],
    null,
  );
  return common(config, limits);
}

/**
 * Client config. With pinned hashes the chain is not verified by BoringSSL (self-signed dev certificates);
 * the pin is checked against the leaf before anything is sent. Without pins, the given CA bundle is used.
 */
export function clientConfig(limits: TransportLimits, caPem: string | undefined): Config {
  const enc = new TextEncoder();
  const config =
    caPem === undefined
      ? quiche.Config.withBoringSslCtx(false, false, null, null, null, null)
      : quiche.Config.withBoringSslCtx(true, false, enc.encode(caPem), null, null, null);
  return common(config, limits);
}
