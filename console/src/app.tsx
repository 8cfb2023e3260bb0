// The shell: header and navigation, the routes, and the sign-in that takes over when the server refuses us (401).
import { useEffect, useState } from 'react';
import { forgetKey, onRefusal, storedKey, type Refusal } from './access.js';
import { ErrorBoundary } from './components/error-boundary.js';
import { Link } from './components/link.js';
import { useLocation } from './navigation.js';
import { PermissionsProvider } from './permissions.js';
import { IncidentList } from './pages/incident-list.js';
import { IncidentPage } from './pages/incident-page.js';
import { IntegrationsPage } from './pages/integrations.js';
import { SignIn } from './pages/sign-in.js';

/** The whole console. */
export function App() {
  const { path } = useLocation();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  // Bumped on sign-in and sign-out: the page below remounts and loads again with the new key.
  const [session, setSession] = useState(0);
  // The sign-in form replaces the page when the key is refused (wrong, revoked, expired): the header then offers no
  // "Sign out" beside it, since the refused key signs nobody in; the form's new key replaces it.
  const signedIn = storedKey() !== undefined && refusal?.status !== 401;

  useEffect(() => onRefusal(setRefusal), []);
  useEffect(() => {
    document.title = titleFor(path);
  }, [path]);

  const signOut = (): void => {
    forgetKey();
    setRefusal(undefined);
    setSession((n) => n + 1);
  };

  let page;
  if (refusal?.status === 401) {
    page = (
      <SignIn
        refusal={refusal}
        onSignedIn={() => {
          setRefusal(undefined);
          setSession((n) => n + 1);
        }}
      />
    );
  } else {
    const incident = /^\/incidents\/([^/]+)\/?$/.exec(path);
    if (isListPath(path)) page = <IncidentList key={session} />;
    else if (incident?.[1])
      page = <IncidentPage key={`${session}:${incident[1]}`} id={decodeURIComponent(incident[1])} />;
    else if (path === '/integrations' || path === '/integrations/') page = <IntegrationsPage key={session} />;
    else page = <NotFound />;
  }

  return (
    <PermissionsProvider key={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          Warroom
        </Link>
        <nav aria-label="Main">
          <Link href="/" aria-current={isListPath(path) ? 'page' : undefined}>
            Incidents
          </Link>
          <Link href="/integrations" aria-current={path.startsWith('/integrations') ? 'page' : undefined}>
            Alerts &amp; integrations
          </Link>
          <a href="/docs">API</a>
        </nav>
        {signedIn && (
          <button type="button" className="link-button" onClick={signOut} data-testid="sign-out">
            Sign out
          </button>
        )}
      </header>
      {refusal?.status === 403 && (
        <div className="banner banner-error" role="alert">
          {refusal.message}{' '}
          <button type="button" className="link-button" onClick={signOut}>
            Sign in with another key
          </button>
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <ErrorBoundary key={path}>{page}</ErrorBoundary>
      </main>
    </PermissionsProvider>
  );
}

/** The list's paths: the server serves the console at each (src/http/console.ts), with or without a trailing slash. */
const isListPath = (path: string): boolean => path === '/' || path === '/incidents' || path === '/incidents/';

function titleFor(path: string): string {
  if (isListPath(path)) return 'Incidents · Warroom';
  if (/^\/incidents\/[^/]+\/?$/.test(path)) return 'Incident · Warroom';
  if (path === '/integrations' || path === '/integrations/') return 'Alerts & integrations · Warroom';
  return 'Page not found · Warroom';
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p data-testid="page-not-found">
        Nothing lives at this address. <Link href="/">Go to the incident list</Link>.
      </p>
    </section>
  );
}
