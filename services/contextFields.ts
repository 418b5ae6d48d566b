/**
 * Reading a read model row's context (plain JSON from the store): a field is taken only when it has
 * the expected type, else null, so a view never shows a value of the wrong kind.
 */

/** The string, or null. */
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The finite number, or null. */
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
