import { SpanKind, type Span } from '@opentelemetry/api';
import type { Tracing } from '@darktower/service-kit';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * One client span per query (`db.select`, `db.insert`, ...) under the active span; queries outside any span (the
 * periodic sweep) are not traced. A query that fails never reaches `transformResult`: its span is dropped unexported
 * (the request span records the error).
 */
export class DbTracingPlugin implements KyselyPlugin {
  readonly #tracing: Tracing;
  readonly #spans = new WeakMap<QueryId, Span>();

  constructor(tracing: Tracing) {
    this.#tracing = tracing;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.#tracing.activeIds() !== undefined) {
      const operation = args.node.kind.replace(/QueryNode$|Node$/, '').toLowerCase();
      this.#spans.set(
        args.queryId,
        this.#tracing.startSpan(`db.${operation}`, {
          kind: SpanKind.CLIENT,
          attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation.toUpperCase() },
        }),
      );
    }
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const span = this.#spans.get(args.queryId);
    if (span !== undefined) {
      this.#spans.delete(args.queryId);
      span.setAttribute('db.response.returned_rows', args.result.rows.length);
      span.end();
    }
    return Promise.resolve(args.result);
  }
}
