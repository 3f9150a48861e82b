import { useState } from 'preact/hooks';
import type { ConsoleConfig, PaperAccount } from '../api/contract.ts';
import { ApiFailure, HttpClient, messageOf } from '../api/http-client.ts';
import { describeToken, type SavedSession } from '../session/saved-session.ts';
import { describedBy, Field } from './field.tsx';

/** The first screen: start a paper account (paper mode), or sign in with a bearer token. */
export function SignIn({ config, ended, onSignedIn }: { config: ConsoleConfig; ended: string | undefined; onSignedIn: (session: SavedSession) => void }) {
  const [token, setToken] = useState('');
  const [tokenError, setTokenError] = useState<string | undefined>(undefined);
  const [paperError, setPaperError] = useState('');
  const [busy, setBusy] = useState(false);

  async function startPaper() {
    setBusy(true);
    setPaperError('');
    try {
      const opened = await new HttpClient({ token: () => undefined }).post<PaperAccount>('/v1/paper/accounts');
      onSignedIn({ token: opened.token, accountId: opened.accountId, expiresAt: opened.expiresAt });
    } catch (failure) {
      setPaperError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  async function signIn(event: Event) {
    event.preventDefault();
    const described = describeToken(token.trim());
    if (!described) return setTokenError('That is not a bearer token (three dot-separated parts naming an account).');
    setBusy(true);
    try {
      await new HttpClient({ token: () => described.token }).get('/v1/account');
      onSignedIn(described);
    } catch (failure) {
      setTokenError(failure instanceof ApiFailure ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in" tabIndex={-1}>
      <h1>trading-core trader console</h1>
      <p class="lede">Live prices, orders, positions and your account, over the public API.</p>
      {ended ? (
        <p class="notice" role="alert">
          You were signed out: {ended}
        </p>
      ) : null}
      {config.paperMode ? (
        <section class="panel" aria-labelledby="paper-title">
          <h2 id="paper-title">Paper trading</h2>
          <p>This server runs in paper mode: a fresh account with pretend money, filled against the simulated exchange. Fund it with a deposit once you are in.</p>
          <button type="button" class="primary" onClick={startPaper} disabled={busy}>
            Start paper account
          </button>
          <p class="field-error" role="alert">
            {paperError}
          </p>
        </section>
      ) : null}
      <section class="panel" aria-labelledby="token-title">
        <h2 id="token-title">Sign in with a token</h2>
        <form onSubmit={signIn} noValidate>
          <Field id="sign-in-token" label="Bearer token (JWT)" error={tokenError} hint={
              <>
                For example from <code>bin/trading-core token --account &lt;uuid&gt;</code>, or the one <code>npm start</code> prints.
              </>
            }>
            <textarea {...describedBy('sign-in-token', tokenError, true)} name="token" rows={3} spellcheck={false} value={token} onInput={(event) => setToken(event.currentTarget.value)} />
          </Field>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      </section>
      <p class="muted">
        The API is documented at <a href="/docs">/docs</a>.
      </p>
    </main>
  );
}
