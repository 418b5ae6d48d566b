/**
 * Bad input to the JSON API, against a real `facefleet start` child process (cap 0): invalid and odd
 * JSON for a new subject, unknown ids on every id route, bad list queries, wrong methods and paths
 * that lead nowhere (traversal included). Each is a 4xx JSON error whose message says what was wrong,
 * with no stack and no path; after every batch /healthz answers and nothing was written; the
 * server's RSS (/proc/<pid>/status) stays within a generous bound. Then the subject names we accept
 * although they look odd (RTL scripts, emoji, padding) are shown to be accepted as documented.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startFacefleet, type FacefleetProcess } from '../../support/facefleetProcess.ts';
import { assertCleanError as assertClean, badInputDirs, rssMb, written as writtenIn } from './badInputHarness.ts';

const dirs = badInputDirs('facefleet-badapi-');
const { root, dataDir, childTmp } = dirs;
let server: FacefleetProcess;
const written = () => writtenIn(dirs);
const assertCleanError = (text: string, label: string): { code: string; message: string } => assertClean(text, label, root).error;


interface Reply {
  status: number;
  type: string;
  text: string;
}

/** One request with the path sent exactly as written (fetch would normalise `..` and `%2e`). */
function send(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const bytes = body === undefined ? undefined : Buffer.from(body);
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers: { ...headers, ...(bytes ? { 'content-length': String(bytes.length) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text }));
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

interface Case {
  name: string;
  method: string;
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  status: number;
  message: RegExp;
}

let subjectId = '';
let jpeg: Buffer;
const json = { 'content-type': 'application/json' };

function subjectCases(): Case[] {
  const post = (name: string, body: string, status: number, message: RegExp, headers: Record<string, string> = json): Case => ({ name, method: 'POST', path: '/v1/gallery/subjects', body, headers, status, message });
  const named = (label: string, name: unknown, status: number, message: RegExp) => post(label, JSON.stringify({ name }), status, message);
  const mustBe = /The body must be JSON \{ "name": "<1 to 100 characters>" \}/;
  const length = /1 to 100 characters long/;
  const control = /must not contain control, formatting or invisible characters/;
  return [
    post('an unfinished object', '{', 400, /not valid JSON/),
    post('an object cut after a key', '{"name": ', 400, /not valid JSON/),
    post('a trailing comma', '{"name":"bob",}', 400, /not valid JSON/),
    post('single quotes', "{'name':'bob'}", 400, /not valid JSON/),
    post('a bare word', 'nul', 400, /not valid JSON/),
    post('NaN', 'NaN', 400, /not valid JSON/),
    post('an array', '[1]', 400, mustBe),
    post('null', 'null', 400, /not valid JSON|must be JSON/),
    post('a number', '42', 400, /not valid JSON|must be JSON/),
    post('a string', '"bob"', 400, /not valid JSON|must be JSON/),
    post('true', 'true', 400, /not valid JSON|must be JSON/),
    post('an empty JSON body', '', 400, /not valid JSON|must be JSON/),
    post('deeply nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`, 400, /not valid JSON|must be JSON/),
    post('no content type', '{"name":"bob"}', 415, /application\/json/, {}),
    post('text/plain', '{"name":"bob"}', 415, /application\/json/, { 'content-type': 'text/plain' }),
    post('an urlencoded form', 'name=bob', 415, /application\/json/, { 'content-type': 'application/x-www-form-urlencoded' }),
    post('a multipart body', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nbob\r\n--b--\r\n', 415, /application\/json/, { 'content-type': 'multipart/form-data; boundary=b' }),
    post('a 1 MB body', JSON.stringify({ name: 'bob', pad: 'x'.repeat(1024 * 1024) }), 413, /larger than the limit of 16384 bytes/),
    post('a prototype-polluting key', '{"__proto__":{"name":"bob"}}', 400, /not valid JSON|must be JSON/),
    post('a constructor key', '{"constructor":{"name":"bob"}}', 400, mustBe),
    named('no name (another key)', undefined, 400, mustBe),
    named('a number as name', 42, 400, mustBe),
    named('null as name', null, 400, mustBe),
    named('an object as name', { first: 'bob' }, 400, mustBe),
    named('an array as name', ['bob'], 400, mustBe),
    named('true as name', true, 400, mustBe),
    named('an empty name', '', 400, length),
    named('a name of spaces only', '     ', 400, length),
    named('a name of tabs and newlines only', '\t\n\r ', 400, length),
    named('a name of 101 characters', 'x'.repeat(101), 400, length),
    named('a name of 10 kB', 'x'.repeat(10 * 1024), 400, length),
    post('a name of 20 kB (over the JSON limit)', JSON.stringify({ name: 'x'.repeat(20 * 1024) }), 413, /larger than the limit/),
    named('a NUL in the name', 'a\u0000b', 400, control),
    named('a bell in the name', 'bell\u0007', 400, control),
    named('an ANSI escape in the name', '\u001b[31mred', 400, control),
    named('a newline inside the name', 'two\nlines', 400, control),
    named('a C1 control in the name', 'a\u0085b', 400, control),
    named('a zero-width space in the name', 'Ad\u200ba', 400, control),
    named('a zero-width joiner in the name', 'Ad\u200da', 400, control),
    named('a right-to-left override in the name', 'Ada\u202egnirut', 400, control),
    named('a byte-order mark inside the name', 'Ad\ufeffa', 400, control),
    named('a line separator in the name', 'Ada\u2028Lovelace', 400, control),
    named('a colon in the name (it would break <file>:<name>)', 'Ada:Lovelace', 400, /must not contain ":"/),
    named('an existing name', 'alice', 400, /A subject named "alice" already exists/),
    named('an existing name in other case', 'ALICE', 400, /already exists/),
  ];
}

const odd = ['nope', '0mwyj1uet000mssz5lyb0', encodeURIComponent('../../etc/passwd'), '%00', 'x'.repeat(300), '%E2%80%AE', encodeURIComponent('😀'), '%20', encodeURIComponent("'; DROP TABLE events;--"), '%ZZ'];

function unknownIdCases(): Case[] {
  const routes: Array<[string, string, (id: string) => string, Partial<Case>?]> = [
    ['GET', 'job', (id) => `/v1/jobs/${id}`],
    ['GET', 'job history', (id) => `/v1/jobs/${id}/history`],
    ['GET', 'job image', (id) => `/v1/jobs/${id}/image`],
    ['GET', 'instance', (id) => `/v1/instances/${id}`],
    ['GET', 'instance history', (id) => `/v1/instances/${id}/history`],
    ['DELETE', 'subject', (id) => `/v1/gallery/subjects/${id}`],
    ['DELETE', 'example of an unknown subject', (id) => `/v1/gallery/subjects/${id}/examples/e1`],
    ['GET', 'example image of an unknown subject', (id) => `/v1/gallery/subjects/${id}/examples/e1/image`],
    ['DELETE', 'unknown example of alice', (id) => `/v1/gallery/subjects/${subjectId}/examples/${id}`],
    ['GET', 'unknown example image of alice', (id) => `/v1/gallery/subjects/${subjectId}/examples/${id}/image`],
  ];
  const cases: Case[] = [];
  for (const id of odd) {
    for (const [method, what, path] of routes) cases.push({ name: `${method} ${what} ${id.slice(0, 24)}`, method, path: path(id), status: 404, message: /There is no|has no example/ });
    const upload = `--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    cases.push({
      name: `POST a valid example to unknown subject ${id.slice(0, 24)}`,
      method: 'POST',
      path: `/v1/gallery/subjects/${id}/examples`,
      body: Buffer.concat([Buffer.from(upload), jpeg, Buffer.from('\r\n--b--\r\n')]),
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      status: 404,
      message: /There is no subject/,
    });
  }
  return cases;
}

function queryCases(): Case[] {
  const bad: Array<[string, RegExp]> = [
    ['limit=-1', /limit must be an integer from 1 to 500/],
    ['limit=0', /limit must be an integer from 1 to 500/],
    ['limit=abc', /limit must be an integer from 1 to 500/],
    ['limit=1.5', /limit must be an integer from 1 to 500/],
    ['limit=501', /limit must be an integer from 1 to 500/],
    ['limit=0x10', /limit must be an integer from 1 to 500/],
    ['limit=1e2', /limit must be an integer from 1 to 500/],
    ['limit=1e999', /limit must be an integer from 1 to 500/],
    ['limit=99999999999999999999', /limit must be an integer from 1 to 500/],
    ['limit=1&limit=2', /at most once/],
    ['state=bogus', /state must be one of/],
    ['state=QUEUED', /state must be one of/],
    ['state=done,bogus', /state must be one of/],
    ['state=%00', /state must be one of/],
    ['state=,', /state must be one of/],
    ['state=done&state=failed', /at most once/],
    ['cursor=garbage', /cursor/],
    [`cursor=${Buffer.from('["a"]').toString('base64url')}`, /cursor/],
    ['cursor=%00', /cursor/],
    [`cursor=${'x'.repeat(5000)}`, /cursor/],
  ];
  return ['/v1/jobs', '/v1/instances'].flatMap((path) => bad.map(([query, message]) => ({ name: `GET ${path}?${query.slice(0, 40)}`, method: 'GET', path: `${path}?${query}`, status: 400, message })));
}

function methodAndPathCases(): Case[] {
  const notAllowed: Array<[string, string]> = [
    ['PUT', '/v1/jobs'],
    ['DELETE', '/v1/jobs'],
    ['PATCH', '/v1/jobs/x'],
    ['PUT', '/v1/jobs/x'],
    ['POST', '/v1/jobs/x/history'],
    ['POST', '/v1/stream'],
    ['POST', '/healthz'],
    ['PUT', '/v1/gallery/subjects'],
    ['PATCH', '/v1/gallery/subjects/x'],
    ['POST', '/v1/queues'],
    ['DELETE', '/v1/counts'],
    ['POST', '/v1/instances'],
    ['DELETE', '/v1/instances/x'],
  ];
  const nowhere = ['/v1/nothing', '/v1/jobs/x/y/z', '/v1', '/v2/jobs', '/.env', '/package.json', '/web/app.ts', '/node_modules/koa/package.json', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fpackage.json', '/%00', '/js/../../package.json', '/css/..%5c..%5cpackage.json'];
  return [
    ...notAllowed.map(([method, path]) => ({ name: `${method} ${path}`, method, path, status: 405, message: /not allowed at this address/ })),
    ...nowhere.map((path) => ({ name: `GET ${path}`, method: 'GET', path, status: 404, message: /nothing at this address/ })),
  ];
}

describe('given a facefleet server (cap 0) with one subject "alice"', () => {
  let baseline: Record<string, unknown>;
  let rssBefore = 0;
  let requests = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    mkdirSync(childTmp, { recursive: true });
    jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#a63' } }).jpeg().toBuffer();
    server = await startFacefleet({ dataDir, env: { FACEFLEET_CAP: '0', TMPDIR: childTmp } });
    const created = await send('POST', '/v1/gallery/subjects', '{"name":"alice"}', json);
    assert.equal(created.status, 201, created.text);
    subjectId = (JSON.parse(created.text) as { id: string }).id;
    for (let i = 0; i < 20; i++) await send('GET', '/v1/jobs?limit=bogus');
    baseline = written();
    rssBefore = rssMb(server.child.pid ?? 0);
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const batches: Array<[string, () => Case[]]> = [
    ['when a new subject is sent as bad JSON or with a bad name', subjectCases],
    ['when unknown or odd ids are used on every id route', unknownIdCases],
    ['when the lists are asked with bad query parameters', queryCases],
    ['when a wrong method or a path to nowhere is used', methodAndPathCases],
  ];
  for (const [title, cases] of batches) {
    describe(title, () => {
      // The cases need the subject and the image made in `before`: build them when the batch runs.
      it('then each is a 4xx JSON error that says what was wrong, with no stack or path', async () => {
        const failures: string[] = [];
        const all = cases();
        for (const c of all) {
          const reply = await send(c.method, c.path, c.body, c.headers);
          requests += 1;
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          try {
            assert.equal(reply.status, c.status, reply.text.slice(0, 200));
            assert.match(reply.type, /^application\/json/);
            assert.match(assertCleanError(reply.text, c.name).message, c.message);
          } catch (error) {
            failures.push(`${c.name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
          }
        }
        assert.deepEqual(failures, [], `${failures.length} of ${all.length} failed`);
      });
      it('then the server is up and nothing was written', async () => {
        assert.equal((await send('GET', '/healthz')).status, 200);
        assert.deepEqual(written(), baseline);
      });
    });
  }

  describe('when all of it is over', () => {
    it('then every request was refused with a 4xx and the RSS stayed within 150 MB of its start', (t) => {
      const rssAfter = rssMb(server.child.pid ?? 0);
      const summary = [...statuses].sort().map(([s, n]) => `${s}×${n}`).join(' ');
      t.diagnostic(`bad API requests: ${requests} (${summary}); server RSS ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after`);
      assert.ok(requests >= 200, `${requests} requests`);
      assert.ok([...statuses.keys()].every((s) => s >= 400 && s < 500), summary);
      assert.ok(rssAfter - rssBefore < 150, `RSS grew from ${rssBefore} MB to ${rssAfter} MB`);
    });
  });

  describe('when odd but valid subject names are sent (accepted by design)', () => {
    it('then RTL scripts, emoji, accents and outer padding are accepted, trimmed, and can be deleted', async () => {
      const accepted: Array<[string, string]> = [
        ['محمد', 'محمد'],
        ['דוד כהן', 'דוד כהן'],
        ['😀 Ana', '😀 Ana'],
        ['Zoë Ñúñez', 'Zoë Ñúñez'],
        ['  padded  ', 'padded'],
        ['y'.repeat(100), 'y'.repeat(100)],
      ];
      for (const [name, stored] of accepted) {
        const reply = await send('POST', '/v1/gallery/subjects', JSON.stringify({ name }), json);
        assert.equal(reply.status, 201, `${name}: ${reply.text}`);
        const subject = JSON.parse(reply.text) as { id: string; name: string };
        assert.equal(subject.name, stored);
        assert.equal((await send('DELETE', `/v1/gallery/subjects/${subject.id}`)).status, 204);
      }
    });
  });
});
