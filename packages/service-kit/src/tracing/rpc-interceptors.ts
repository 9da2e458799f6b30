import { SpanKind } from '@opentelemetry/api';
import type { Tracing } from './tracing.ts';

/**
 * The part of a Connect (connect-es v2) request the interceptors use. Structural, so service-kit does not depend on
 * @connectrpc/connect: `clientTraceInterceptor(tracing)` is a Connect `Interceptor` as is.
 */
export interface RpcRequestLike {
  readonly header: Headers;
  readonly url: string;
  readonly service?: { readonly typeName: string };
  readonly method?: { readonly name: string };
}

type Next<Req extends RpcRequestLike, Res> = (req: Req) => Promise<Res>;

function rpcName(req: RpcRequestLike): string {
  if (req.service !== undefined && req.method !== undefined)
    return `${req.service.typeName}/${req.method.name}`;
  // Connect URLs end in /<package.Service>/<Method>.
  return new URL(req.url).pathname.split('/').slice(-2).join('/');
}

/**
 * Client side: each call is a client span (`darktower.meeting.v1.MeetingControllerService/Join`) whose
 * `traceparent` travels in the request headers, so the callee's spans join the caller's trace.
 */
export function clientTraceInterceptor(tracing: Tracing) {
  return <Req extends RpcRequestLike, Res>(next: Next<Req, Res>): Next<Req, Res> =>
    (req) =>
      tracing.startActiveSpan(
        rpcName(req),
        () => {
          const headers = tracing.injectHeaders({});
          for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
          return next(req);
        },
        { kind: SpanKind.CLIENT, attributes: { 'rpc.system': 'connect_rpc' } },
      );
}

/**
 * Server side (Connect router `interceptors`): each handled call is a server span, child of the caller's
 * `traceparent` when valid; the handler and everything it awaits run inside it.
 */
export function serverTraceInterceptor(tracing: Tracing) {
  return <Req extends RpcRequestLike, Res>(next: Next<Req, Res>): Next<Req, Res> =>
    (req) =>
      tracing.withRemoteParent(
        req.header.get('traceparent') ?? undefined,
        () =>
          tracing.startActiveSpan(rpcName(req), () => next(req), {
            kind: SpanKind.SERVER,
            attributes: { 'rpc.system': 'connect_rpc' },
          }),
        req.header.get('tracestate') ?? undefined,
      );
}
