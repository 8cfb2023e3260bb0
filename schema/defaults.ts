// Default values the schemas fill in that other code must recognise. No Zod here: the analysis thread's bundle takes
// these without the schema library.

/** The source of an event that names none: a placeholder, never a component the analysis may call affected. */
export const UNKNOWN_SOURCE = 'unknown';
