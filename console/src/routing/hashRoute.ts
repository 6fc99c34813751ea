import { useEffect, useState } from 'preact/hooks';

/**
 * Client-side routes live in the hash (`#/sagas/<id>`), so the service serves one page for all of
 * them and a link to a saga can be shared. The hash holds ids and filters, never the token.
 */
export type Route =
  | { view: 'overview' }
  | { view: 'sagas'; state?: string; scope?: string }
  | { view: 'saga'; sagaId: string }
  | { view: 'review' }
  | { view: 'deadLetters' }
  | { view: 'inventory' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query);
  switch (parts[0]) {
    case 'sagas':
      if (parts[1]) return { view: 'saga', sagaId: decodeURIComponent(parts[1]) };
      return {
        view: 'sagas',
        ...(params.get('state') ? { state: params.get('state')! } : {}),
        ...(params.get('scope') ? { scope: params.get('scope')! } : {}),
      };
    case 'review':
      return { view: 'review' };
    case 'dead-letters':
      return { view: 'deadLetters' };
    case 'inventory':
      return { view: 'inventory' };
    default:
      return { view: 'overview' };
  }
}

export const href = {
  overview: () => '#/',
  sagas: (filter: { state?: string; scope?: string } = {}) => {
    const query = new URLSearchParams(
      Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])),
    ).toString();
    return `#/sagas${query ? `?${query}` : ''}`;
  },
  saga: (sagaId: string) => `#/sagas/${encodeURIComponent(sagaId)}`,
  review: () => '#/review',
  deadLetters: () => '#/dead-letters',
  inventory: () => '#/inventory',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
