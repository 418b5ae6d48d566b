/**
 * The answer checker: reads the classic protocol's `<name>:<label>` answer and compares a label with
 * the expectation for the image (case-sensitive; no expectation = not checked).
 */
import type { Expectations } from './expectations.ts';
import type { Check } from './types.ts';

/**
 * The label in a classic answer for the image `stem`: the text after `<stem>:`. When the answer
 * names another image, or has no colon, it is an error (the server answered for something else).
 */
export function parseClassicAnswer(stem: string, body: string): { label: string } | { error: string } {
  const text = body.replace(/\r?\n$/, '');
  if (text.startsWith(`${stem}:`)) return { label: text.slice(stem.length + 1) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { error: `the answer "${clip(text)}" is not <name>:<label>` };
  return { error: `the answer "${clip(text)}" is for another image than ${stem}` };
}

/** Correct when the label equals the expectation exactly, wrong when not, unchecked without one. */
export function checkLabel(stem: string, label: string | undefined, expectations: Expectations): { check: Check; expected?: string } {
  const expected = expectations.get(stem);
  if (expected === undefined || label === undefined) return expected === undefined ? { check: 'unchecked' } : { check: 'unchecked', expected };
  return { check: label === expected ? 'correct' : 'wrong', expected };
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
