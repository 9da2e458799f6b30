/**
 * OAuth scopes of architecture.md section 1: `{principal}.{operation}.{component}`, e.g. `user.write.gc`.
 */
export const PRINCIPALS = ['user', 'service'] as const;
export const OPERATIONS = ['read', 'write', 'admin'] as const;
export const COMPONENTS = ['gc', 'mc', 'mh', 'ac'] as const;

export type Principal = (typeof PRINCIPALS)[number];
export type Operation = (typeof OPERATIONS)[number];
export type Component = (typeof COMPONENTS)[number];

declare const scopeBrand: unique symbol;
/** A string known to be a well-formed scope. Only `parseScope`/`toScope` produce one. */
export type Scope = string & { readonly [scopeBrand]: true };

export interface ScopeParts {
  readonly principal: Principal;
  readonly operation: Operation;
  readonly component: Component;
}

/** Longest valid scope is `service.admin.ac` (16 chars); anything much longer is refused before splitting. */
const MAX_SCOPE_LENGTH = 32;
/** A token or request never needs more scopes than exist (2 * 3 * 4 = 24); the cap keeps parsing bounded. */
export const MAX_SCOPES = 64;

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

export function parseScope(value: string): ScopeParts | undefined {
  if (value.length > MAX_SCOPE_LENGTH) return undefined;
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  const [principal, operation, component] = parts as [string, string, string];
  if (!isOneOf(PRINCIPALS, principal) || !isOneOf(OPERATIONS, operation) || !isOneOf(COMPONENTS, component)) {
    return undefined;
  }
  return { principal, operation, component };
}

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && parseScope(value) !== undefined;
}

export function toScope(value: string): Scope | undefined {
  return isScope(value) ? value : undefined;
}

export function formatScope(parts: ScopeParts): Scope {
  return `${parts.principal}.${parts.operation}.${parts.component}` as Scope;
}

/**
 * Parses an RFC 6749 space-delimited scope string. Returns undefined if any entry is not a valid scope
 * (a caller asking for something we do not understand gets `invalid_scope`, not a silent subset).
 * Duplicates are dropped; order is preserved.
 */
export function parseScopeList(value: string): Scope[] | undefined {
  if (value.length > MAX_SCOPES * (MAX_SCOPE_LENGTH + 1)) return undefined;
  const entries = value.split(' ').filter((s) => s.length > 0);
  if (entries.length > MAX_SCOPES) return undefined;
  const out: Scope[] = [];
  for (const entry of entries) {
    if (!isScope(entry)) return undefined;
    if (!out.includes(entry)) out.push(entry);
  }
  return out;
}

export function formatScopeList(scopes: readonly Scope[]): string {
  return scopes.join(' ');
}

const OPERATION_RANK: Record<Operation, number> = { read: 0, write: 1, admin: 2 };

/**
 * True when `granted` satisfies `required`: same principal and component, and an operation at least as strong
 * (admin implies write implies read).
 */
export function scopeSatisfies(granted: Scope, required: Scope): boolean {
  const g = parseScope(granted);
  const r = parseScope(required);
  if (g === undefined || r === undefined) return false;
  return (
    g.principal === r.principal &&
    g.component === r.component &&
    OPERATION_RANK[g.operation] >= OPERATION_RANK[r.operation]
  );
}

export function hasScope(granted: readonly Scope[], required: Scope): boolean {
  return granted.some((g) => scopeSatisfies(g, required));
}

/** The required scopes not satisfied by `granted` (empty when all are). */
export function missingScopes(granted: readonly Scope[], required: readonly Scope[]): Scope[] {
  return required.filter((r) => !hasScope(granted, r));
}
