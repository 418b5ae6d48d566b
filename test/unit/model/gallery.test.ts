import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addExample, addSubject, emptyGallery, matchFace, parseGallery, removeExample, removeSubject, type Gallery } from '../../../model/gallery.ts';
import { classicLabel } from '../../../model/recognize.ts';

/** A 128-d descriptor that is `value` on axis `axis` and 0 elsewhere. */
const unit = (axis: number, value = 1): number[] => Array.from({ length: 128 }, (_, i) => (i === axis ? value : 0));

function galleryOf(subjects: Record<string, number[][]>): Gallery {
  let g = emptyGallery();
  for (const [name, descriptors] of Object.entries(subjects)) {
    g = addSubject(g, { id: name, name });
    for (const d of descriptors) g = addExample(g, name, { descriptor: d });
  }
  return g;
}

describe('given a gallery of two subjects', () => {
  const gallery = galleryOf({ alice: [unit(0, 0.1)], bob: [unit(1, 0.1), unit(1, 0.3)] });

  it('when a descriptor is close to one subject, then it is named with the distance', () => {
    const match = matchFace(unit(0, 0.2), gallery);
    assert.equal(match.label, 'alice');
    assert.equal(match.subjectId, 'alice');
    assert.ok(Math.abs(match.distance - 0.1) < 1e-12);
  });

  it('when a subject has several examples, then its distance is the MEAN of their distances (FaceMatcher rule)', () => {
    const match = matchFace(unit(1, 0.2), gallery);
    assert.equal(match.label, 'bob');
    assert.ok(Math.abs(match.distance - 0.1) < 1e-12);
  });

  it('when the best distance is not below the threshold, then unknown', () => {
    assert.equal(matchFace(unit(5, 1), gallery).label, 'unknown');
    assert.equal(matchFace(unit(0, 0.7), gallery, 0.6).label, 'unknown'); // 0.6 exactly: not below
    assert.equal(matchFace(unit(0, 0.7), gallery, 0.61).label, 'alice');
  });

  it('when the gallery sets its own threshold, then it is the default', () => {
    assert.equal(matchFace(unit(0, 0.3), { ...gallery, threshold: 0.1 }).label, 'unknown');
  });
});

describe('given an empty gallery', () => {
  it('when matching, then unknown', () => {
    assert.equal(matchFace(unit(0), emptyGallery()).label, 'unknown');
  });
});

describe('given the immutable helpers', () => {
  it('when adding and removing, then the input gallery is never changed', () => {
    const g0 = emptyGallery();
    const g1 = addSubject(g0, { id: 's1', name: 'Sam' });
    const g2 = addExample(g1, 's1', { id: 'e1', descriptor: unit(3) });
    const g3 = removeExample(g2, 's1', 'e1');
    const g4 = removeSubject(g3, 's1');
    assert.deepEqual(g0.subjects, []);
    assert.equal(g1.subjects[0]?.examples.length, 0);
    assert.equal(g2.subjects[0]?.examples.length, 1);
    assert.equal(g3.subjects[0]?.examples.length, 0);
    assert.deepEqual(g4.subjects, []);
    assert.deepEqual(parseGallery(JSON.parse(JSON.stringify(g2))), g2);
  });

  it('when the subject is missing or the descriptor malformed, then an error', () => {
    assert.throws(() => addExample(emptyGallery(), 'nobody', { descriptor: unit(0) }), /no subject/);
    const g = addSubject(emptyGallery(), { id: 's', name: 'S' });
    assert.throws(() => addExample(g, 's', { descriptor: [1, 2, 3] }), /128/);
    assert.throws(() => addSubject(g, { id: 's', name: 'again' }), /already exists/);
  });

  it('when parsing something that is not a gallery, then a one-line reason', () => {
    assert.throws(() => parseGallery({ version: 2, subjects: [] }), /version/);
    assert.throws(() => parseGallery({ version: 1, subjects: [{ id: 'a', name: 'A', examples: [{ id: 'x', descriptor: [1] }] }] }), /descriptor/);
  });
});

describe('given a recognition result', () => {
  const face = (label: string, width: number) => ({ label, box: { x: 0, y: 0, width, height: width } });
  it('when there are no faces, then the classic label is no-face', () => {
    assert.equal(classicLabel({ faces: [] }), 'no-face');
  });
  it('when there are several faces, then the classic label is the largest face’s', () => {
    assert.equal(classicLabel({ faces: [face('small', 10), face('big', 30), face('mid', 20)] as never }), 'big');
  });
});

describe('given a gallery of three subjects at known distances', () => {
  // All on one axis, so distances are differences: alice at 0.30, bob at 0.62, carol at 0.90.
  const gallery = galleryOf({ alice: [unit(0, 0.3)], bob: [unit(0, 0.62)], carol: [unit(0, 0.9)] });

  it('when a face is named, then the runner-up is the nearest OTHER subject with its distance', () => {
    const match = matchFace(unit(0, 0.3), gallery);
    assert.equal(match.label, 'alice');
    assert.equal(match.runnerUp?.label, 'bob');
    assert.ok(Math.abs((match.runnerUp?.distance ?? NaN) - 0.32) < 1e-12);
    assert.equal(match.ambiguous, false);
  });

  it('when the two nearest subjects are within the margin, then the face is ambiguous and keeps the nearest name', () => {
    // 0.45: alice at 0.15, bob at 0.17 — 0.02 apart, under the default margin 0.05.
    const match = matchFace(unit(0, 0.45), gallery);
    assert.equal(match.label, 'alice');
    assert.equal(match.runnerUp?.label, 'bob');
    assert.equal(match.ambiguous, true);
    assert.equal(matchFace(unit(0, 0.45), gallery, { ambiguityMargin: 0.01 }).ambiguous, false);
  });

  it('when the face is unknown, then the runner-up is the second nearest subject and it is never ambiguous', () => {
    const match = matchFace(unit(1, 2), gallery);
    assert.equal(match.label, 'unknown');
    assert.ok(match.runnerUp);
    assert.notEqual(match.runnerUp.distance, match.distance);
    assert.ok(match.runnerUp.distance >= match.distance);
    assert.equal(match.ambiguous, false);
  });

  it('when the gallery has one subject, then there is no runner-up', () => {
    const match = matchFace(unit(0, 0.3), galleryOf({ alice: [unit(0, 0.3)] }));
    assert.equal(match.runnerUp, null);
    assert.equal(match.ambiguous, false);
  });
});

describe('given an ambiguous largest face', () => {
  const faces = [{ label: 'alice', ambiguous: true, box: { x: 0, y: 0, width: 30, height: 30 } }, { label: 'bob', ambiguous: false, box: { x: 0, y: 0, width: 10, height: 10 } }];
  it('when ambiguousLabel is off (the default), then the classic label is the nearest name', () => {
    assert.equal(classicLabel({ faces } as never), 'alice');
  });
  it('when ambiguousLabel is on, then the classic label is ambiguous', () => {
    assert.equal(classicLabel({ faces } as never, { ambiguousLabel: true }), 'ambiguous');
  });
});
