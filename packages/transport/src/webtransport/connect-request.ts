// Validates the extended CONNECT (RFC 9220, draft-ietf-webtrans-http3) that opens a WebTransport session,
// and builds the request headers a client sends and the response a server sends.
import type { SessionRequest } from '../session.ts';
import type { HeaderField } from '../h3/qpack-decoder.ts';

export type ConnectCheck = { ok: true; request: SessionRequest } | { ok: false; status: number; why: string };

export function checkConnectRequest(fields: readonly HeaderField[], remoteAddress: string): ConnectCheck {
  const pseudo = new Map<string, string>();
  const headers = new Map<string, string>();
  let regularSeen = false;
  for (const [name, value] of fields) {
    if (name.startsWith(':')) {
      if (regularSeen) return { ok: false, status: 400, why: 'pseudo-header after regular header' };
      if (pseudo.has(name)) return { ok: false, status: 400, why: `duplicate ${name}` };
      pseudo.set(name, value);
    } else {
      regularSeen = true;
      if (name !== name.toLowerCase()) return { ok: false, status: 400, why: 'upper-case header name' };
      const prev = headers.get(name);
      headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
    }
  }
  const method = pseudo.get(':method');
  const protocol = pseudo.get(':protocol');
  const path = pseudo.get(':path');
  if (method !== 'CONNECT') return { ok: false, status: 405, why: `method ${method ?? '(none)'}` };
  if (protocol !== 'webtransport') return { ok: false, status: 400, why: `protocol ${protocol ?? '(none)'}` };
  if (pseudo.get(':scheme') !== 'https') return { ok: false, status: 400, why: 'scheme must be https' };
  if (!pseudo.get(':authority')) return { ok: false, status: 400, why: 'missing :authority' };
  if (!path?.startsWith('/')) return { ok: false, status: 400, why: 'missing or relative :path' };
  return {
    ok: true,
    request: { path, origin: headers.get('origin'), headers, remoteAddress },
  };
}

export function connectRequestFields(url: URL, extra: Readonly<Record<string, string>> = {}): HeaderField[] {
  const fields: HeaderField[] = [
    [':method', 'CONNECT'],
    [':scheme', 'https'],
    [':authority', url.host],
    [':path', `${url.pathname}${url.search}`],
    [':protocol', 'webtransport'],
    ['sec-webtransport-http3-draft02', '1'],
  ];
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (lower.startsWith(':')) continue;
    fields.push([lower, value]);
  }
  return fields;
}

export function responseFields(status: number): HeaderField[] {
  const fields: HeaderField[] = [[':status', String(status)]];
  if (status >= 200 && status < 300) fields.push(['sec-webtransport-http3-draft', 'draft02']);
  return fields;
}
