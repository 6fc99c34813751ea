import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from '../api/apiClient';
import { ApiError } from '../api/apiError';

export type Role = 'operator' | 'client';

export type Session = Readonly<{ api: ApiClient; role: Role; signOut(): void }>;

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/**
 * Which role the token has, asked of the API itself: the cheapest operator-only read
 * (`GET /jobs/dead-letters?limit=1`) answers 200 to an operator token and 403 to a client token.
 * A 401 means the token is unknown, and is thrown.
 */
export async function roleOf(api: ApiClient): Promise<Role> {
  try {
    await api.get('/jobs/dead-letters?limit=1');
    return 'operator';
  } catch (error) {
    if (error instanceof ApiError && error.code === 'FORBIDDEN') return 'client';
    throw error;
  }
}
