// The shape of a failure category: how to recognise it in events and what to do about it.

/**
 * Whether a category's signatures usually point at the origin of an incident or at its effects.
 * Timeouts, 5xx responses, retries and latency alerts are what users and monitors see
 * first and most often, but they are produced by something else; they only win when no
 * cause-type evidence is present.
 */
export type CategoryRole = 'cause' | 'symptom';

export interface Signature {
  /** Tested against a template, raw sample messages and the string metadata values of its events. */
  pattern: RegExp;
  /** How telling a match is: ~0.5 vague, 1 typical, 1.5 unmistakable. */
  weight: number;
  /**
   * `change` marks deploys, config pushes and secret rotations. They are logged at info level,
   * so their level says nothing about harm, and they can only cause what comes after them.
   */
  kind?: 'change';
}

/** A metric whose value crossing a threshold is evidence on its own, whatever level it was sent with. */
export interface MetricSignature {
  /** Tested against the metric's name (metadata `metric`/`name`, or the `name=` prefix of the message). */
  name: RegExp;
  above?: number;
  below?: number;
  weight: number;
}

/** One remediation step. `{component}` and `{target}` are filled with names found in the evidence. */
export interface RunbookStep {
  title: string;
  detail: string;
  /** 1 (do now) .. 5 (follow-up). */
  priority: number;
}

export interface FailureCategory {
  id: string;
  title: string;
  role: CategoryRole;
  /** Which name is the failing component: the service showing the evidence, or the resource it concerns (a full disk, an expired certificate). */
  failing: 'component' | 'target';
  signatures: readonly Signature[];
  metrics?: readonly MetricSignature[];
  /** Matched against the incident's title, description and tags; weak evidence on purpose. */
  keywords: RegExp;
  /** Metadata keys that name the resource the mechanism concerns (a database, a queue, a hostname…). */
  targetKeys?: readonly string[];
  /** Patterns whose first capture group names that resource inside a message. */
  targets?: readonly RegExp[];
  /** What `{target}` reads as when no name was found, e.g. "its database". */
  defaultTarget: string;
  /**
   * Root-cause sentence. Placeholders: `{component}` (service showing the evidence),
   * `{target}` (resource concerned), `{first_seen}`, `{evidence}` (quoted earliest sample).
   */
  explanation: string;
  /** Used instead of `explanation` when no target was named, where the default phrase would read badly. */
  untargetedExplanation?: string;
  runbook: readonly RunbookStep[];
}
