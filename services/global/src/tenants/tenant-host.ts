import { GlobalError } from '../domain/errors.ts';

export const DEFAULT_TENANT = 'default';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^[a-z0-9.-]{1,253}$/;

/**
 * The tenant a request is for, from its Host header: `acme.darktower.example` → `acme` when the base domain is
 * `darktower.example`. The base domain itself, other hosts (localhost, IPs, a load balancer's name) and a missing
 * base domain all mean the default tenant. Hosts that cannot be a hostname, or nest deeper than one label under
 * the base domain, are refused.
 */
export function tenantFromHost(host: string | undefined, baseDomain: string | undefined): string {
  if (host === undefined || host === '') return DEFAULT_TENANT;
  if (host.length > 260) throw GlobalError.invalidRequest('Host header is too long');
  const name = stripPort(host.toLowerCase());
  if (name.startsWith('[')) return DEFAULT_TENANT; // IPv6 literal
  if (!HOSTNAME.test(name) || name.includes('..') || name.startsWith('.') || name.startsWith('-')) {
    throw GlobalError.invalidRequest('Host header is not a valid host name');
  }
  const host0 = name.endsWith('.') ? name.slice(0, -1) : name;
  if (baseDomain === undefined || baseDomain === '') return DEFAULT_TENANT;
  const base = baseDomain.toLowerCase();
  if (host0 === base) return DEFAULT_TENANT;
  const suffix = `.${base}`;
  if (!host0.endsWith(suffix)) return DEFAULT_TENANT;
  const sub = host0.slice(0, -suffix.length);
  if (!LABEL.test(sub)) throw GlobalError.invalidRequest('tenant subdomain is not a single DNS label');
  return sub === 'www' ? DEFAULT_TENANT : sub;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host; // [::1]:8080
  const colon = host.lastIndexOf(':');
  if (colon === -1) return host;
  const port = host.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port)) throw GlobalError.invalidRequest('Host header has a bad port');
  return host.slice(0, colon);
}

export function isTenantSlug(value: string): boolean {
  return LABEL.test(value);
}
