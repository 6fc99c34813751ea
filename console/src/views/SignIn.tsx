import { useId, useState } from 'preact/hooks';
import { ErrorNote } from '../components/ErrorNote';

/**
 * Asks for a token (API_TOKENS, or the generated data/api-tokens.json). An operator token can act;
 * a client token can only look.
 */
export function SignIn({ onToken, error }: { onToken(token: string): void; error: unknown }) {
  const [token, setToken] = useState('');
  const inputId = useId();
  return (
    <main class="sign-in">
      <h1>Fulfillment console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <label for={inputId}>API token</label>
        <input
          id={inputId}
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <button type="submit">Sign in</button>
        <p class="hint">
          An operator token from <code>API_TOKENS</code> (or <code>data/api-tokens.json</code> when the service
          generated them). It is kept in this tab only (sessionStorage) and sent as an <code>Authorization</code>{' '}
          header.
        </p>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
