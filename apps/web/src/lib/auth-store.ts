// The signed-in user's access token, kept in sessionStorage for this tab.
const KEY = 'darktower.user';

export interface SignedIn {
  readonly username: string;
  readonly token: string;
}

export function currentUser(): SignedIn | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return undefined;
    const v = JSON.parse(raw) as Partial<SignedIn>;
    return typeof v.token === 'string' && typeof v.username === 'string'
      ? { username: v.username, token: v.token }
      : undefined;
  } catch {
    return undefined;
  }
}

export function saveUser(user: SignedIn | undefined): void {
  if (user === undefined) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(user));
}
