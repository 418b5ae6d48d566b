/**
 * Bulk enrolment: every (person, photo) of a plan enrolled into a gallery through a
 * `GalleryTarget` (a running server over HTTP, or a data dir), idempotently: a subject is reused by
 * name (case-insensitive, as the server compares), and a photo the subject already has (same
 * sha256) is skipped before it is sent. One file's failure is reported with its reason; the rest go on.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ImportItem, ImportPlan, ImportProblem } from './importSources.ts';

/** A subject as a target lists it. */
export interface TargetSubject {
  id: string;
  name: string;
  /** sha256 of every photo enrolled for it. */
  photos: ReadonlySet<string>;
}

/** A photo refused by the target (no face, not an image, too large…): the reason is one line for the user. */
export class PhotoRefused extends Error {
  override name = 'PhotoRefused';
}

/** Where the import enrols: a running server or a data dir. */
export interface GalleryTarget {
  listSubjects(): Promise<TargetSubject[]>;
  /** Creates the subject and returns its id. */
  createSubject(name: string): Promise<string>;
  /** Deletes a subject (one this import created, whose photos were all refused). */
  deleteSubject(subjectId: string): Promise<void>;
  /** Enrols one photo; throws `PhotoRefused` for a photo the target will not take. */
  addPhoto(subjectId: string, photo: { fileName: string; bytes: Buffer }): Promise<void>;
}

export interface ImportProgress {
  total: number;
  done: number;
  imported: number;
  skipped: number;
  failed: number;
}

export interface ImportReport extends ImportProgress {
  /** Every file that was not imported and why, the plan's problems first. */
  problems: ImportProblem[];
}

/** Runs `plan` against `target`; `onProgress` is called after each photo. Rejects only when the target itself fails (server down, disk error). */
export async function importGallery(plan: ImportPlan, target: GalleryTarget, onProgress: (p: ImportProgress) => void = () => undefined): Promise<ImportReport> {
  const problems: ImportProblem[] = [...plan.problems];
  const progress: ImportProgress = { total: plan.items.length + plan.problems.length, done: plan.problems.length, imported: 0, skipped: 0, failed: plan.problems.length };
  const subjects = new Map<string, Subject>();
  for (const s of await target.listSubjects()) subjects.set(s.name.toLowerCase(), { id: s.id, photos: new Set(s.photos) });
  onProgress({ ...progress });

  const subjectFor = async (name: string): Promise<Subject> => {
    const key = name.toLowerCase();
    let subject = subjects.get(key);
    if (!subject) {
      subject = { id: await target.createSubject(name), photos: new Set(), created: true };
      subjects.set(key, subject);
    }
    return subject;
  };

  for (const item of plan.items) {
    const outcome = await importOne(item, subjectFor, target);
    progress.done += 1;
    if (outcome === 'imported') progress.imported += 1;
    else if (outcome === 'skipped') progress.skipped += 1;
    else {
      progress.failed += 1;
      problems.push(outcome);
    }
    onProgress({ ...progress });
  }
  // A person whose every photo was refused is not left behind as an empty subject.
  for (const subject of subjects.values()) if (subject.created && subject.photos.size === 0) await target.deleteSubject(subject.id);
  return { ...progress, problems };
}

interface Subject {
  id: string;
  photos: Set<string>;
  /** Created by this import (and so removed again if none of its photos could be enrolled). */
  created?: boolean;
}

async function importOne(
  item: ImportItem,
  subjectFor: (name: string) => Promise<Subject>,
  target: GalleryTarget,
): Promise<'imported' | 'skipped' | ImportProblem> {
  let bytes: Buffer;
  try {
    bytes = await readFile(item.file);
  } catch (error) {
    return { file: item.file, reason: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let subject: Subject;
  try {
    subject = await subjectFor(item.name);
  } catch (error) {
    if (error instanceof PhotoRefused) return { file: item.file, reason: error.message };
    throw error;
  }
  if (subject.photos.has(sha256)) return 'skipped';
  try {
    await target.addPhoto(subject.id, { fileName: basename(item.file), bytes });
  } catch (error) {
    if (error instanceof PhotoRefused) return { file: item.file, reason: error.message };
    throw error;
  }
  subject.photos.add(sha256);
  return 'imported';
}

/** `[#####-----] 120/1000 imported 118, skipped 0, failed 2`. */
export function renderImportProgress(p: ImportProgress, barWidth = 24): string {
  const filled = p.total === 0 ? barWidth : Math.round((p.done / p.total) * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${p.done}/${p.total} imported ${p.imported}, skipped ${p.skipped}, failed ${p.failed}`;
}
