import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiClient } from './api/apiClient';
import { href, useRoute, type Route } from './routing/hashRoute';
import { roleOf, SessionContext, type Role, type Session } from './session/session';
import { tokenStore } from './session/tokenStore';
import { DeadLetters } from './views/DeadLetters';
import { Inventory } from './views/Inventory';
import { ManualReview } from './views/ManualReview';
import { Overview } from './views/Overview';
import { SagaDetail } from './views/SagaDetail';
import { SagaList } from './views/SagaList';
import { SignIn } from './views/SignIn';

const navigation: { label: string; href: string; views: Route['view'][] }[] = [
  { label: 'Overview', href: href.overview(), views: ['overview'] },
  { label: 'Sagas', href: href.sagas(), views: ['sagas', 'saga'] },
  { label: 'Manual review', href: href.review(), views: ['review'] },
  { label: 'Dead letters', href: href.deadLetters(), views: ['deadLetters'] },
  { label: 'Inventory', href: href.inventory(), views: ['inventory'] },
];

/** The console: a token first, then the views, one per hash route. */
export function App() {
  const [token, setToken] = useState<string | null>(() => tokenStore.read());
  const [role, setRole] = useState<Role | null>(null);
  const [signInError, setSignInError] = useState<unknown>(undefined);
  const api = useMemo(() => (token ? apiClient(token) : null), [token]);

  useEffect(() => {
    if (!api) return;
    let current = true;
    roleOf(api).then(
      (found) => current && setRole(found),
      (error: unknown) => {
        if (!current) return;
        tokenStore.clear();
        setToken(null);
        setSignInError(error);
      },
    );
    return () => {
      current = false;
    };
  }, [api]);

  const signOut = () => {
    tokenStore.clear();
    setToken(null);
    setRole(null);
  };

  if (!api || !role) {
    if (token && !signInError) return <p class="loading">Checking the token…</p>;
    return (
      <SignIn
        error={signInError}
        onToken={(entered) => {
          tokenStore.write(entered);
          setSignInError(undefined);
          setToken(entered);
        }}
      />
    );
  }
  const session: Session = { api, role, signOut };
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Shell() {
  const route = useRoute();
  return (
    <SessionContext.Consumer>
      {(session) => (
        <>
          <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
            Skip to content
          </button>
          <header class="top">
            <span class="brand">Fulfillment console</span>
            <nav aria-label="Views">
              <ul>
                {navigation.map((item) => (
                  <li key={item.label}>
                    <a href={item.href} aria-current={item.views.includes(route.view) ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <span class="who" data-testid="role">
              {session?.role === 'operator' ? 'operator' : 'client (read only)'}
            </span>
            <button type="button" onClick={session?.signOut}>
              Sign out
            </button>
          </header>
          <main id="main" tabIndex={-1}>
            <View route={route} />
          </main>
        </>
      )}
    </SessionContext.Consumer>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview':
      return <Overview />;
    case 'sagas':
      return <SagaList key={`${route.state ?? ''}|${route.scope ?? ''}`} state={route.state} scope={route.scope} />;
    case 'saga':
      return <SagaDetail key={route.sagaId} sagaId={route.sagaId} />;
    case 'review':
      return <ManualReview />;
    case 'deadLetters':
      return <DeadLetters />;
    case 'inventory':
      return <Inventory />;
  }
}
