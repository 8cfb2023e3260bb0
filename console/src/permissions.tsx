// What the signed-in key may do (tRPC keys.whoami), so the console offers only the controls it allows: a read-only
// key sees no status buttons, no new-incident form, no chat box. The server still checks every call; this only
// spares a responder buttons that would answer 403.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Scope } from '../../schema/index.js';
import { api } from './api.js';
import { describeError, httpStatusOf } from './errors.js';

export interface Permissions {
  /** The key's name; undefined on an open server, or until the server has answered. */
  name: string | undefined;
  /** Whether the server has said who we are (controls stay hidden until it has). */
  known: boolean;
  /** Whether the key grants `scope` (implied scopes included); everything on an open server. */
  can(scope: Scope): boolean;
}

const UNKNOWN: Permissions = { name: undefined, known: false, can: () => false };
const EVERYTHING: Permissions = { name: undefined, known: true, can: () => true };

const PermissionsContext = createContext<Permissions>(UNKNOWN);

/** The permissions of the current key, for the components below. */
export const usePermissions = (): Permissions => useContext(PermissionsContext);

/** Asks the server once per mount (the app remounts it at every sign-in and sign-out). */
export function PermissionsProvider({ children }: { children: ReactNode }) {
  const [permissions, setPermissions] = useState<Permissions>(UNKNOWN);
  useEffect(() => {
    let current = true;
    api.keys.whoami.query().then(
      (who) => {
        if (!current) return;
        if (who === null) setPermissions(EVERYTHING);
        else setPermissions({ name: who.name, known: true, can: (scope) => who.scopes.includes(scope) });
      },
      (err: unknown) => {
        if (!current) return;
        const status = httpStatusOf(err);
        // 401/403: describeError tells the app, which asks for another key. Anything else (the server away): offer
        // the controls rather than hide them for good; the server still refuses what the key may not do.
        describeError(err);
        if (status !== 401 && status !== 403) setPermissions(EVERYTHING);
      },
    );
    return () => {
      current = false;
    };
  }, []);
  return <PermissionsContext.Provider value={permissions}>{children}</PermissionsContext.Provider>;
}

/** One plain sentence saying why a control is missing: "The key viewer may not change status (needs write)." */
export function NotAllowed({ what, scope }: { what: string; scope: Scope }) {
  const { name, known } = usePermissions();
  if (!known) return null;
  return (
    <p className="muted small not-allowed">
      {name ? `Your key ${name}` : 'Your key'} may not {what}: that needs the <code>{scope}</code> scope.
    </p>
  );
}
