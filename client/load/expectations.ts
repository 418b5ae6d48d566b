/**
 * The expected labels, read from a CSV in the course's prediction-file format: a header
 * `Image,Results`, then one row per image (Image = file name without extension, Results = label).
 * Quoted fields ("a,b" and "" for a quote) are understood; anything else malformed is an error
 * naming the line.
 */

/** Image stem → expected label. */
export type Expectations = ReadonlyMap<string, string>;

/** A CSV that cannot be read as expectations; `message` is one line naming the line number. */
export class ExpectationsError extends Error {
  override name = 'ExpectationsError';
}

/** Splits one CSV line into fields; undefined when a quote is left open. */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (wasQuoted && c !== ',') {
      if (c.trim() !== '') field += c; // text after a closing quote: kept, spaces dropped
    } else if (c === ',') {
      fields.push(wasQuoted ? field : field.trim());
      field = '';
      wasQuoted = false;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  fields.push(wasQuoted ? field : field.trim());
  return fields;
}

/**
 * Parses the CSV text. Guarantees: the header names an `Image` and a `Results` column (any case,
 * any order, other columns allowed); every row has as many fields as the header; no image is empty;
 * an image listed twice has the same label both times. Blank lines, a BOM and CRLF are fine.
 * Throws ExpectationsError otherwise.
 */
export function parseExpectations(text: string): Map<string, string> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const expectations = new Map<string, string>();
  let header: string[] | undefined;
  let imageCol = -1;
  let resultCol = -1;
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line.trim() === '') return;
    const fields = splitCsvLine(line);
    if (!fields) throw new ExpectationsError(`${at}: a quoted field is not closed`);
    if (!header) {
      header = fields;
      const names = fields.map((f) => f.toLowerCase());
      imageCol = names.indexOf('image');
      resultCol = names.indexOf('results');
      if (imageCol < 0 || resultCol < 0) throw new ExpectationsError(`${at}: the header must name the columns Image,Results (found "${line.trim()}")`);
      return;
    }
    if (fields.length !== header.length) throw new ExpectationsError(`${at}: expected ${header.length} fields like the header, found ${fields.length}`);
    const image = fields[imageCol]!;
    const label = fields[resultCol]!;
    if (image === '') throw new ExpectationsError(`${at}: the Image field is empty`);
    const before = expectations.get(image);
    if (before !== undefined && before !== label) throw new ExpectationsError(`${at}: ${image} is expected twice with different labels ("${before}" and "${label}")`);
    expectations.set(image, label);
  });
  if (!header) throw new ExpectationsError('the file is empty (expected the header Image,Results)');
  return expectations;
}
