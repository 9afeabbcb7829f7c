// ESLint (flat config) with typescript-eslint's type-aware promise rules, run by `npm test`.
// - no-floating-promises / no-misused-promises: a promise nobody awaits loses its error, and an
//   async callback where a sync one is expected runs unobserved.
// - workflows/ stay deterministic: no I/O modules, activities imported as types only.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'outbox/**', 'inbox/**', 'models/**/*.py'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['pg', 'pino', 'ioredis', 'nats', 'fs', 'node:fs', 'net', 'node:net', 'child_process', 'node:child_process', 'http', 'node:http'].map((name) => ({
            name,
            message: 'workflows are deterministic: no I/O here; do it in an activity',
          })),
        },
      ],
    },
  },
);
