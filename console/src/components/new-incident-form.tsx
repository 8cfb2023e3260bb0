// "New incident": a disclosure with the create form; the new incident is handed to the list (`onCreated`), which
// shows it at once: the responder asked for it, unlike arrivals from elsewhere, which wait behind "N new".
import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { describeError } from '../errors.js';
import { SEVERITIES, isOneOf, type Incident, type Severity } from '../model.js';
import { incidentPath } from '../navigation.js';
import { Link } from './link.js';

/** The form, behind a button. */
export function NewIncidentForm({ onCreated }: { onCreated?: (incident: Incident) => void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [severity, setSeverity] = useState<Severity>('medium');
  const [source, setSource] = useState('');
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<Incident | undefined>();

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const incident = await api.incidents.create.mutate({
        title,
        description,
        severity,
        ...(source.trim() ? { source: source.trim() } : {}),
        tags: tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      });
      setCreated(incident);
      onCreated?.(incident);
      setTitle('');
      setDescription('');
      setTags('');
      setOpen(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="new-incident">
      <button type="button" aria-expanded={open} aria-controls="new-incident-form" onClick={() => setOpen(!open)}>
        {open ? 'Cancel' : 'New incident'}
      </button>
      {created && !open && (
        <p role="status" className="muted">
          Created <Link href={incidentPath(created.id)}>{created.title}</Link>.
        </p>
      )}
      {open && (
        <form
          id="new-incident-form"
          className="card form-grid"
          onSubmit={(e) => void submit(e)}
          aria-label="New incident"
        >
          <label>
            Title
            <input required maxLength={500} value={title} onChange={(e) => setTitle(e.target.value)} name="title" />
          </label>
          <label>
            Severity
            <select
              value={severity}
              name="severity"
              onChange={(e) => isOneOf(SEVERITIES, e.target.value) && setSeverity(e.target.value)}
            >
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Source
            <input value={source} onChange={(e) => setSource(e.target.value)} placeholder="manual" name="source" />
          </label>
          <label>
            Tags (comma-separated)
            <input value={tags} onChange={(e) => setTags(e.target.value)} name="tags" />
          </label>
          <label className="wide">
            Description
            <textarea
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              rows={3}
              name="description"
            />
          </label>
          <div className="wide">
            <button type="submit" disabled={busy || title.trim() === ''}>
              Create incident
            </button>
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
          </div>
        </form>
      )}
    </div>
  );
}
