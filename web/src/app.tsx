import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from './api/contract.ts';
import { HttpClient, messageOf } from './api/http-client.ts';
import { ConsoleShell } from './components/console-shell.tsx';
import { SignIn } from './components/sign-in.tsx';
import { loadSession, saveSession, type SavedSession } from './session/saved-session.ts';
import { useStore } from './session/store.ts';
import { TradingSession } from './session/trading-session.ts';

/** Reads `/console/config`, then shows the sign-in screen or the console of the saved session. */
export function App() {
  const [config, setConfig] = useState<ConsoleConfig | undefined>(undefined);
  const [configError, setConfigError] = useState('');
  const [saved, setSaved] = useState<SavedSession | undefined>(() => loadSession());
  const [ended, setEnded] = useState<string | undefined>(undefined);

  useEffect(() => {
    new HttpClient({ token: () => undefined }).get<ConsoleConfig>('/console/config').then(setConfig, (error: unknown) => setConfigError(messageOf(error)));
  }, []);

  const signIn = (session: SavedSession | undefined) => {
    saveSession(session);
    setSaved(session);
  };

  if (configError) {
    return (
      <main id="main" class="sign-in">
        <h1>trading-core trader console</h1>
        <p class="field-error" role="alert">
          The console could not read its configuration: {configError}
        </p>
      </main>
    );
  }
  if (!config) return <p class="boot">Loading the trader console…</p>;
  if (!saved) return <SignIn config={config} ended={ended} onSignedIn={(session) => (setEnded(undefined), signIn(session))} />;
  return <SignedIn key={saved.token} saved={saved} config={config} onSignOut={(reason) => (setEnded(reason), signIn(undefined))} />;
}

function SignedIn({ saved, config, onSignOut }: { saved: SavedSession; config: ConsoleConfig; onSignOut: (reason?: string) => void }) {
  const [session] = useState(() => new TradingSession(saved, config));
  const ended = useStore(session.ended);

  useEffect(() => {
    session.start().catch((error: unknown) => console.warn('the first reads failed', error));
    return () => void session.close();
  }, [session]);
  useEffect(() => {
    if (ended) onSignOut(ended);
  }, [ended]);

  return <ConsoleShell session={session} onSignOut={() => onSignOut()} />;
}
