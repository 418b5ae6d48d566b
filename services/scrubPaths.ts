/**
 * Absolute paths out of text that leaves the process (log lines, failure reasons clients read):
 * they name the data dir, the user's home and the install.
 */

// An absolute path: a slash-led run of at least two segments, not inside a URL (`http://host/a/b`
// is left alone: its slashes follow `:` or a host); `file://` URLs are paths and are cut too.
const absolutePath = /(?<![\w:/.])\/(?:[^\s/'"`()<>,;]+\/)+[^\s/'"`()<>,;]+/g;
const fileUrl = /file:\/\/(?=\/)/g;

/** How a path is shown: its last two parts (logs, for the operator) or nothing of it (clients). */
export type PathShown = 'tail' | 'none';

/** `text` with every absolute path cut to `…/<last two parts>` (or to `<path>`). Pure. */
export function scrubPaths(text: string, shown: PathShown = 'tail'): string {
  return text
    .replace(fileUrl, ' ')
    .replace(absolutePath, (match) => (shown === 'tail' ? `…/${match.split('/').slice(-2).join('/')}` : '<path>'));
}
