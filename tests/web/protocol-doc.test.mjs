// The wire protocol cannot drift: the message types docs/PROTOCOL.md lists, the ones the
// server builds (src/proto) and sends (its callers), and the ones the browser client
// handles and sends must be the same sets, in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p) => readFileSync(join(root, p), 'utf8');
const sorted = (xs) => [...new Set(xs)].sort();

/** Names in an X-macro list: `#define LIST(X) X(a) X(b)` or `X(ID, "a")`. */
function xmacro(text, list) {
  const start = text.indexOf(`#define ${list}(X)`);
  assert.ok(start >= 0, `${list} is defined`);
  let end = start;
  while (text[end] !== '\n' || text[end - 1] === '\\') end++;
  const body = text.slice(start, end).replace(`#define ${list}(X)`, '');
  return [...body.matchAll(/X\(\s*(?:\w+\s*,\s*)?"?(\w+)"?\s*\)/g)].map((m) => m[1]);
}

/** First-column `type`s of the table under a heading of docs/PROTOCOL.md. */
function documented(heading) {
  const doc = read('docs/PROTOCOL.md');
  const at = doc.indexOf(`## ${heading}`);
  assert.ok(at >= 0, `PROTOCOL.md has "## ${heading}"`);
  const next = doc.indexOf('\n## ', at + 3);
  const section = doc.slice(at, next < 0 ? undefined : next);
  return [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
}

function cFiles(dir) {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) return cFiles(p);
    return p.endsWith('.c') ? [p] : [];
  });
}

const serverTypes = sorted(xmacro(read('src/proto/messages.h'), 'PROTO_SERVER_MESSAGES'));
const clientTypes = sorted(xmacro(read('src/proto/proto.h'), 'PROTO_CLIENT_MESSAGES'));

test('server to client: the doc lists exactly what the server builds', () => {
  assert.deepEqual(sorted(documented('Control messages, server to client')), serverTypes);
});

test('server to client: the browser handles exactly those', () => {
  const app = read('web/app.js');
  const body = app.slice(app.indexOf('function onMessage('));
  const handled = [...body.slice(0, body.indexOf('\n}\n')).matchAll(/case '(\w+)':/g)].map((m) => m[1]);
  assert.deepEqual(sorted(handled), serverTypes);
});

test('server to client: every type has a builder that the server calls', () => {
  const builders = read('src/proto/messages.h');
  const callers = cFiles('src').filter((p) => !p.startsWith('src/proto/')).map(read).join('\n');
  for (const type of serverTypes) {
    const names = [...builders.matchAll(new RegExp(`char \\*(proto_msg_${type}(?:_\\w+)?)\\(`, 'g'))].map((m) => m[1]);
    assert.ok(names.length > 0, `a proto_msg_${type} builder exists`);
    for (const name of names)
      assert.ok(callers.includes(`${name}(`), `${name} is called outside src/proto (documented but never sent?)`);
  }
});

test('no JSON message is built outside src/proto', () => {
  for (const p of cFiles('src')) {
    if (p.startsWith('src/proto/') || p.startsWith('src/bots/')) continue;
    assert.doesNotMatch(read(p), /"type",\s*"\w+"/, `${p} builds a message's JSON itself`);
  }
});

test('client to server: the doc, the decoder and the browser agree', () => {
  assert.deepEqual(sorted(documented('Control messages, client to server')), clientTypes);
  // What the pages send: every `{ type: '...' }` in the modules that talk to the server.
  const sent = ['web/app.js', 'web/identity.js'].flatMap((p) =>
    [...read(p).matchAll(/\{ type: '(\w+)'/g)].map((m) => m[1]));
  assert.deepEqual(sorted(sent), clientTypes);
});
