import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkLabel, parseClassicAnswer } from '../../../client/load/checker.ts';
import { ExpectationsError, parseExpectations, splitCsvLine } from '../../../client/load/expectations.ts';

describe('given a course prediction file', () => {
  it('when it is plain, then each Image maps to its Results', () => {
    const e = parseExpectations('Image,Results\ntest_00,Paul\ntest_01,Emily\n');
    assert.deepEqual([...e], [['test_00', 'Paul'], ['test_01', 'Emily']]);
  });

  it('when it has a BOM, CRLF, blank lines, spaces, quotes and extra columns, then it still reads', () => {
    const e = parseExpectations('\uFEFFid, results ,image\r\n\r\n1, "Smith, Jo" ,a\r\n2,"say ""hi""",b\r\n');
    assert.deepEqual([...e], [['a', 'Smith, Jo'], ['b', 'say "hi"']]);
  });

  it('when an image is listed twice with the same label, then that is fine', () => {
    assert.equal(parseExpectations('Image,Results\na,x\na,x\n').size, 1);
  });
});

describe('given a malformed CSV', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['\n\n', /empty/],
    ['Name,Label\na,b\n', /line 1: the header must name the columns Image,Results/],
    ['Image\na\n', /line 1: the header/],
    ['Image,Results\na,b,c\n', /line 2: expected 2 fields like the header, found 3/],
    ['Image,Results\nlonely\n', /line 2: expected 2 fields/],
    ['Image,Results\n\n,b\n', /line 3: the Image field is empty/],
    ['Image,Results\na,"open\n', /line 2: a quoted field is not closed/],
    ['Image,Results\na,x\na,y\n', /line 3: a is expected twice with different labels \("x" and "y"\)/],
  ];
  for (const [text, message] of cases) {
    it(`when it is ${JSON.stringify(text)}, then one line names the problem`, () => {
      assert.throws(() => parseExpectations(text), (e: unknown) => e instanceof ExpectationsError && message.test(e.message) && !e.message.includes('\n'));
    });
  }
});

describe('given CSV lines', () => {
  it('when split, then quotes group commas and doubled quotes escape', () => {
    assert.deepEqual(splitCsvLine('a,"b,c",""""'), ['a', 'b,c', '"']);
    assert.deepEqual(splitCsvLine(''), ['']);
    assert.equal(splitCsvLine('"abc'), undefined);
  });
});

describe('given classic answers', () => {
  it('when the answer is <stem>:<label>, then the label is the rest (colons and all)', () => {
    assert.deepEqual(parseClassicAnswer('test_00', 'test_00:Paul'), { label: 'Paul' });
    assert.deepEqual(parseClassicAnswer('test_00', 'test_00:a:b\n'), { label: 'a:b' });
    assert.deepEqual(parseClassicAnswer('x', 'x:'), { label: '' });
  });
  it('when the answer is for another image or has no colon, then it is an error', () => {
    assert.match((parseClassicAnswer('a', 'b:Paul') as { error: string }).error, /another image than a/);
    assert.match((parseClassicAnswer('a', 'Paul') as { error: string }).error, /not <name>:<label>/);
  });
});

describe('given expectations', () => {
  const e = new Map([['a', 'Paul']]);
  it('when checking labels, then the compare is exact and case-sensitive', () => {
    assert.deepEqual(checkLabel('a', 'Paul', e), { check: 'correct', expected: 'Paul' });
    assert.deepEqual(checkLabel('a', 'paul', e), { check: 'wrong', expected: 'Paul' });
    assert.deepEqual(checkLabel('b', 'Paul', e), { check: 'unchecked' });
    assert.deepEqual(checkLabel('a', undefined, e), { check: 'unchecked', expected: 'Paul' });
  });
});
