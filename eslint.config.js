// Lint: typescript-eslint's recommended rules plus the project's dependency rule (DESIGN.md):
// machines are pure, model stands alone, adapters sit behind ports, web only talks to services.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ours = (...folders) => folders.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../../../${f}/*`]);

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
  {
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'crypto', 'child_process', ...ours('adapters', 'services', 'web', 'model')], message: 'machines/ is pure: it may import only xstate, zod and its own files.' }] }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'machines/ is pure: time arrives on events.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'machines/ is pure: ids arrive on events.' }],
    },
  },
  {
    files: ['model/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ours('adapters', 'services', 'web', 'machines'), message: 'model/ depends on nothing else of ours.' }] }] },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ours('services', 'web', 'model'), message: 'adapters/ may import only machines/ (types and errors) besides their SDKs.' }] }] },
  },
  {
    // The CLI (services/cli) is the composition root: `facefleet start` builds the web app, so it alone may import web/.
    files: ['services/**/*.ts'],
    ignores: ['services/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ours('web'), message: 'services/ must not import web/.' }] }] },
  },
  {
    files: ['web/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: [...ours('adapters', 'machines', 'model').filter((p) => !p.includes('ports'))], message: 'web/ talks to services/ only.' }] }] },
  },
);
