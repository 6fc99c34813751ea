import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'console/dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      'reports/**',
      'bin/**',
      '*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through src/infrastructure/config only.' },
      ],
    },
  },
  {
    files: ['src/infrastructure/config/**', '**/*.spec.ts', 'src/**/testing/**', 'test/**', 'bench/**', 'knexfile.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!xstate$|\\.)', message: 'The domain is pure: it imports nothing but xstate and itself.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/application/**'],
    ignores: ['**/*.spec.ts', 'src/application/**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/infrastructure/**',
                'knex',
                'mysql2',
                'better-sqlite3',
                'bullmq',
                'ioredis',
                'express',
                '@eventstore/*',
              ],
              message: 'The application talks to ports, never to a driver or an adapter.',
            },
          ],
        },
      ],
    },
  },
);
