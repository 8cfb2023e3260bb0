// Sign-in with an API key (README "Access"): checked against the server before it is kept for the tab's session.
import { useState, type FormEvent } from 'react';
import { forgetKey, storeKey, type Refusal } from '../access.js';
import { api } from '../api.js';
import { httpStatusOf } from '../errors.js';

/** The sign-in form; `onSignedIn` runs once the server accepts the key. */
export function SignIn({ refusal, onSignedIn }: { refusal: Refusal; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    storeKey(key.trim());
    try {
      await api.incidents.page.query({ limit: 1 });
      onSignedIn();
    } catch (err) {
      forgetKey();
      const status = httpStatusOf(err);
      const message = err instanceof Error ? err.message : String(err);
      setError(
        status === 401
          ? `That key was not accepted: it is not valid, has expired or was revoked. (${message})`
          : status === 403
            ? `That key may not read incidents: ${message}`
            : `Could not check the key: ${message}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="sign-in">
      <h1>Sign in</h1>
      <p>
        This Warroom needs an API key. Ask an admin for one (
        <code>npx warroom keys create --name you --scopes write</code>
        ); it is kept only in this tab and sent as a bearer header.
      </p>
      {!error && refusal.message && <p className="muted">The server said: {refusal.message}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="wr_…"
        />
        <button type="submit" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
      </form>
      {error && (
        <p className="error" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      )}
    </section>
  );
}
