// `darktower meeting create|get|end`: thin client of the Global Controller's meeting API, printing JSON.
//   darktower meeting create [--name "Standup"] [--max 100] [--guests] [--no-e2ee]
//   darktower meeting get <id-or-code>
//   darktower meeting end <id-or-code>
// The bearer token comes from --token or DARKTOWER_TOKEN (see `darktower token`).
import { parseArgs } from 'node:util';
import { callApi } from '../api-client.ts';

export async function meetingCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string', default: env.DARKTOWER_URL ?? 'http://localhost:8080' },
      token: { type: 'string' },
      name: { type: 'string', default: 'Meeting' },
      max: { type: 'string', default: '100' },
      guests: { type: 'boolean', default: false },
      'no-e2ee': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const token = values.token ?? env.DARKTOWER_TOKEN;
  const out = (value: unknown): number => {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return 0;
  };
  const idOf = (): string => {
    const id = positionals[0];
    if (id === undefined || id === '')
      throw new Error(`meeting ${action ?? ''}: give the meeting id or code`);
    return encodeURIComponent(id);
  };
  switch (action) {
    case 'create': {
      const max = Number(values.max);
      if (!Number.isInteger(max) || max < 2) throw new Error('--max must be an integer >= 2');
      return out(
        await callApi(values.url, {
          method: 'POST',
          path: '/api/v1/meetings',
          ...(token === undefined ? {} : { token }),
          json: {
            display_name: values.name,
            max_participants: max,
            settings: {
              enable_e2e_encryption: !values['no-e2ee'],
              require_auth: !values.guests,
              recording_enabled: false,
            },
          },
        }),
      );
    }
    case 'get':
      return out(
        await callApi(values.url, {
          method: 'GET',
          path: `/api/v1/meetings/${idOf()}`,
          ...(token === undefined ? {} : { token }),
        }),
      );
    case 'end':
      return out(
        await callApi(values.url, {
          method: 'DELETE',
          path: `/api/v1/meetings/${idOf()}`,
          ...(token === undefined ? {} : { token }),
        }),
      );
    default:
      throw new Error('usage: darktower meeting create|get|end');
  }
}
