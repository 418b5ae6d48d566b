// Lint: typescript-eslint's recommended rules plus the project's dependency rule (DESIGN.md), with
// no exception: each folder is one layer and may import only the layers listed for it below.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Our top-level folders; a relative import that climbs (`../`) into one of them reaches that layer. */
const layers = ['machines', 'model', 'adapters', 'services', 'web', 'client', 'app', 'test'];

/** What each layer may import of ours besides its own files (`adapters/ports.ts` is named alone). */
const allowed = {
  machines: [],
  model: [],
  adapters: ['machines'],
  services: ['machines', 'model', 'adapters/ports.ts'],
  web: ['services'],
  client: [],
  app: ['machines', 'model', 'adapters', 'services', 'web', 'client'],
};

const why = {
  machines: 'machines/ is pure: it may import only xstate, zod and its own files.',
  model: 'model/ depends on nothing else of ours.',
  adapters: 'adapters/ may import only machines/ (types and errors) besides their SDKs.',
  services: 'services/ may import machines/, model/ and adapters/ports.ts only: never a concrete adapter, web/, client/ or app/.',
  web: 'web/ talks to services/ only.',
  client: 'client/ speaks HTTP: it imports nothing of the server (nor app/ or test/).',
  app: 'app/ is the composition root: it may import every layer but test/.',
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A regex matching relative imports that reach a layer (or a file of it) this folder may not import. */
function forbidden(folder) {
  const alternatives = [];
  for (const layer of layers) {
    if (layer === folder) continue;
    const files = allowed[folder].filter((a) => a.startsWith(`${layer}/`)).map((a) => a.slice(layer.length + 1));
    if (allowed[folder].includes(layer)) continue;
    // The whole layer is forbidden, except the single files named as allowed (adapters/ports.ts).
    const except = files.length ? `(?!(${files.map(escape).join('|')})$)` : '';
    alternatives.push(`${layer}(/${except}|$)`);
  }
  return `^(\\.\\./)+(${alternatives.join('|')})`;
}

/** The same rule for `import()` expressions, which no-restricted-imports does not see. */
function forbiddenDynamic(folder) {
  // esquery regexes cannot hold a literal slash: \x2F stands for it.
  return `ImportExpression > Literal[value=/${forbidden(folder).replaceAll('\\/', '\\x2F').replaceAll('/', '\\x2F')}/]`;
}

function layerRule(folder, extra = {}) {
  const patterns = [{ regex: forbidden(folder), message: why[folder] }, ...(extra.patterns ?? [])];
  return {
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns }],
      'no-restricted-syntax': ['error', { selector: forbiddenDynamic(folder), message: why[folder] }],
      ...extra.rules,
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'model/onnx/**', 'web/public/vendor/**', 'test-artifacts/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', document: 'readonly', window: 'readonly', EventSource: 'readonly', FormData: 'readonly', Blob: 'readonly', File: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  layerRule('machines', {
    // Nothing but xstate, zod and its own files: no node built-ins, no other package.
    patterns: [{ regex: '^(?!(xstate|zod)$)[^.]', message: why.machines }],
    rules: {
      'no-restricted-globals': ['error', { name: 'Date', message: 'machines/ is pure: time arrives on events.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'machines/ is pure: ids arrive on events.' }],
    },
  }),
  layerRule('model'),
  layerRule('adapters'),
  layerRule('services'),
  layerRule('web'),
  layerRule('client'),
  layerRule('app'),
);
