// Alerts and integrations: list and create integrations, the webhook URL, the secret once, each sender's
// configuration snippet, and the recent deliveries with what happened to each alert. The page has no live feed; the
// deliveries' poll (and, while the server is away, a retry of the list) tells whether the server is there, shown in
// the same banner as the other pages', and errors from while it was away go once it is back.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { ConnectionBanner, type LiveState } from '../components/connection-banner.js';
import { Link } from '../components/link.js';
import { describeError, isOutage } from '../errors.js';
import { formatTime } from '../format.js';
import { KINDS, snippetsFor, type Kind } from '../integrations/snippets.js';
import { isOneOf } from '../model.js';
import { incidentPath } from '../navigation.js';
import { NotAllowed, usePermissions } from '../permissions.js';

type Integration = Awaited<ReturnType<typeof api.integrations.list.query>>[number];
type Delivery = Awaited<ReturnType<typeof api.integrations.deliveries.query>>[number];

/** The integrations page. */
export function IntegrationsPage() {
  const [items, setItems] = useState<Integration[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  // The secret is known only in the answer to create or rotate: kept here, for this page view only.
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const { can, known } = usePermissions();
  const admin = can('admin');
  const [live, setLive] = useState<LiveState>('connecting');
  const reached = useCallback((ok: boolean) => setLive(ok ? 'live' : 'reconnecting'), []);

  const load = useCallback(async () => {
    try {
      const list = await api.integrations.list.query({});
      setItems(list);
      setError(undefined);
      reached(true);
    } catch (err) {
      // The server away is the banner's to say (and heals by itself); anything else is said here.
      if (isOutage(err)) reached(false);
      else setError(describeError(err));
    }
  }, [reached]);
  // Only an admin key may list them: others are told so plainly instead of meeting a 403.
  useEffect(() => {
    if (admin) void load();
  }, [load, admin]);
  const current = items?.find((i) => i.id === selected) ?? items?.[0];
  // The shown integration's deliveries poll tells whether the server is there. With none shown (no integrations
  // yet), the list is polled instead, or an outage would go unsaid; while the server is away, the list is asked for
  // every few seconds until it answers. Only while the tab is visible: a hidden tab holds no connection for nothing.
  const detailsPoll = current !== undefined && live !== 'reconnecting';
  useEffect(() => {
    if (!admin || detailsPoll) return;
    const timer = setInterval(
      () => {
        if (document.visibilityState === 'visible') void load();
      },
      live === 'reconnecting' ? 3_000 : 1_000,
    );
    return () => clearInterval(timer);
  }, [admin, detailsPoll, live, load]);

  return (
    <section aria-labelledby="integrations-heading">
      <h1 id="integrations-heading">Alerts &amp; integrations</h1>
      <p className="muted">
        Each monitoring system posts alerts to its own integration; Warroom deduplicates them and groups them into
        incidents. Managing integrations needs an admin key.
      </p>
      {known && !admin && <NotAllowed what="see or manage integrations" scope="admin" />}
      <ConnectionBanner state={live} what="integrations" />
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {admin && (
        <CreateIntegration
          live={live}
          onCreated={(created) => {
            setSecrets((s) => ({ ...s, [created.id]: created.secret }));
            setSelected(created.id);
            void load();
          }}
        />
      )}
      {items && items.length === 0 && <p className="empty">No integrations yet.</p>}
      {items && items.length > 0 && (
        <div className="integrations">
          <ul className="integration-list" aria-label="Integrations">
            {items.map((i) => (
              <li key={i.id}>
                <button
                  type="button"
                  className="link-button"
                  aria-pressed={current?.id === i.id}
                  onClick={() => setSelected(i.id)}
                >
                  {i.name}
                </button>{' '}
                <span className="muted small">{i.kind}</span>
              </li>
            ))}
          </ul>
          {current && (
            <IntegrationDetails
              key={current.id}
              integration={current}
              secret={secrets[current.id]}
              live={live}
              onReached={reached}
              onRotated={(secret) => setSecrets((s) => ({ ...s, [current.id]: secret }))}
            />
          )}
        </div>
      )}
    </section>
  );
}

function CreateIntegration({
  onCreated,
  live,
}: {
  onCreated: (c: { id: string; secret: string }) => void;
  live: LiveState;
}) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind>('alertmanager');
  const [error, setError] = useState<string | undefined>();
  useClearedWhenLive(live, setError);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    try {
      onCreated(await api.integrations.create.mutate({ name: name.trim(), kind }));
      setName('');
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label="New integration">
      <label>
        Name
        <input required value={name} onChange={(e) => setName(e.target.value)} maxLength={100} name="name" />
      </label>
      <label>
        Sender
        <select value={kind} onChange={(e) => isOneOf(KINDS, e.target.value) && setKind(e.target.value)} name="kind">
          {KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <button type="submit">Create integration</button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * Clears an error once the server is back (`live` turns 'live'): what failed while it was away ("Cannot reach…")
 * no longer holds. A refusal made while connected stays, since no reconnect follows it.
 */
function useClearedWhenLive(live: LiveState, setError: (e: undefined) => void): void {
  useEffect(() => {
    if (live === 'live') setError(undefined);
  }, [live, setError]);
}

function IntegrationDetails({
  integration,
  secret,
  onRotated,
  live,
  onReached,
}: {
  integration: Integration;
  secret: string | undefined;
  onRotated: (secret: string) => void;
  live: LiveState;
  /** Whether the poll reached the server: the page's banner follows it. */
  onReached: (ok: boolean) => void;
}) {
  const [deliveries, setDeliveries] = useState<Delivery[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const origin = window.location.origin;
  useClearedWhenLive(live, setError);

  const load = useCallback(async () => {
    try {
      setDeliveries(await api.integrations.deliveries.query({ integration_id: integration.id, limit: 20 }));
      onReached(true);
    } catch (err) {
      if (isOutage(err)) onReached(false);
      else setError(describeError(err));
    }
  }, [integration.id, onReached]);
  useEffect(() => {
    void load();
    // Deliveries have no live feed: while the page is in view, a poll shows a new one within about a second.
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, 1_000);
    return () => clearInterval(timer);
  }, [load]);

  // Rotating breaks every sender still using the old secret at once, so it takes a second, explicit step.
  const [confirming, setConfirming] = useState(false);
  const rotate = async (): Promise<void> => {
    setConfirming(false);
    try {
      onRotated((await api.integrations.rotateSecret.mutate({ integration_id: integration.id })).secret);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div className="card integration-details" data-testid="integration-details">
      <h2>{integration.name}</h2>
      <dl>
        <dt>Webhook URL</dt>
        <dd>
          <code data-testid="webhook-url">{`${origin}${integration.webhook_url}`}</code>
        </dd>
        <dt>Secret</dt>
        <dd>
          {secret ? (
            <>
              <code data-testid="secret">{secret}</code>
              <p className="warn small" role="status">
                Shown this once: copy it now. Warroom keeps only a hash.
              </p>
            </>
          ) : (
            <>
              <span className="muted">not shown again </span>
              {confirming ? (
                <RotateConfirm
                  name={integration.name}
                  onConfirm={() => void rotate()}
                  onCancel={() => setConfirming(false)}
                />
              ) : (
                <button type="button" className="link-button" onClick={() => setConfirming(true)}>
                  Rotate the secret…
                </button>
              )}
            </>
          )}
        </dd>
      </dl>
      <h3>Configure {integration.kind}</h3>
      {snippetsFor(integration.kind, origin, integration.webhook_url, secret ?? 'whk_…').map((s) => (
        <figure key={s.title}>
          <figcaption>{s.title}</figcaption>
          <pre tabIndex={0}>
            <code>{s.text}</code>
          </pre>
        </figure>
      ))}
      <h3>
        Recent deliveries{' '}
        <button type="button" className="link-button" onClick={() => void load()}>
          Refresh
        </button>
      </h3>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {deliveries?.length === 0 && <p className="muted">None yet.</p>}
      <ul className="deliveries">
        {deliveries?.map((d) => (
          <li key={d.id}>
            <span className={d.status < 300 ? 'badge ok' : 'badge bad'}>HTTP {d.status}</span>{' '}
            <span className="muted small">{formatTime(d.received_at)}</span>{' '}
            {d.error && <span className="error">{d.error}</span>}
            <ul>
              {d.alerts.map((a, i) => (
                <li key={i}>
                  <code>{a.dedup_key}</code> {a.status} → <strong>{a.outcome}</strong>
                  {a.incident_id && (
                    <>
                      {' '}
                      <Link href={incidentPath(a.incident_id)}>incident</Link>
                    </>
                  )}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The second step of a rotation: says what it breaks, and takes focus so a keyboard user lands on the choice;
 * Escape cancels. The safe choice comes first.
 */
function RotateConfirm({ name, onConfirm, onCancel }: { name: string; onConfirm: () => void; onCancel: () => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      className="confirm"
      role="group"
      aria-labelledby="rotate-warning"
      data-testid="rotate-confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <p id="rotate-warning" className="warn">
        Rotate the secret of {name}? The current secret stops working at once: every sender still using it is refused
        until it is given the new one.
      </p>
      <button type="button" ref={cancel} onClick={onCancel}>
        Keep the current secret
      </button>{' '}
      <button type="button" className="danger" onClick={onConfirm}>
        Rotate now
      </button>
    </div>
  );
}
