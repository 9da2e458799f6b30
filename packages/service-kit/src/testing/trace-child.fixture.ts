// The "other process" of tracing.test.ts: continues the trace of the traceparent it is given (argv[2]) and writes
// its spans to the file argv[3], as a Meeting Controller does with ClientMessage.traceparent.
import { createTracing } from '../tracing/tracing.ts';

const [traceparent, filePath] = process.argv.slice(2);
const tracing = createTracing({
  serviceName: 'mc-service',
  exporter: 'file',
  filePath: filePath ?? '',
  env: {},
});
await tracing.withRemoteParent(traceparent, () =>
  tracing.startActiveSpan('join_request_processing', async () => {
    await tracing.startActiveSpan('validate_token', () => Promise.resolve());
    tracing.startActiveSpan('create_participant_session', () => undefined);
  }),
);
await tracing.close();
