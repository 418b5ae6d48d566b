// @ts-check
/**
 * The jobs of this browser's upload session, kept in localStorage so that a reload (or the next
 * visit) shows them again, in the order their photos were chosen. Only ids and file names are kept:
 * the server holds the rest. Bounded, oldest dropped first.
 */

const KEY = 'facefleet.recentJobs.v1';
/** Most jobs kept. */
export const MAX_RECENT = 100;

/** @typedef {{ id: string, fileName: string }} RecentJob */

/** @returns {RecentJob[]} */
export function readRecentJobs() {
  try {
    const value = JSON.parse(window.localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter((j) => j && typeof j.id === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(j.id) && typeof j.fileName === 'string').slice(-MAX_RECENT);
  } catch {
    return []; // storage off or damaged: start empty rather than fail the page
  }
}

/** @param {RecentJob[]} jobs in the order chosen */
export function saveRecentJobs(jobs) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(jobs.slice(-MAX_RECENT)));
  } catch {
    // storage full or off: the page still works, it only forgets on reload
  }
}

/** @param {string[]} ids */
export function forgetJobs(ids) {
  const gone = new Set(ids);
  saveRecentJobs(readRecentJobs().filter((j) => !gone.has(j.id)));
}
