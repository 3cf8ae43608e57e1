import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Workspaces use each other through their package names (and common's sub-paths), never through
// a relative path into another workspace's folders.
const WORKSPACE_BOUNDARY = {
  regex:
    '^(\\.\\./)+(common|gateway|aggregator|mongo-init|launcher|bench|test-support|system-tests)/',
  message:
    'Import another workspace by its package name (@user-service/...), not by a path into its folders.',
};

// Outside common/, its parts are imported by the layer they belong to (domain, store, http, ...),
// never through the root barrel: a test of the domain then loads the domain, not the MongoDB
// driver and express, and an import says which layer it leans on.
const COMMON_ROOT_BARREL = {
  regex: '^@user-service/common$',
  message:
    'Import from the part of common it belongs to (@user-service/common/domain, /store, /http, /config, /observability, /lifecycle, /personal-data).',
};

export default defineConfig(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      '.data/**',
      'reports/**',
      '.stryker-tmp/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.strict,
  {
    // The mutation-testing scripts run on Node, as plain ES modules.
    files: ['mutation/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [WORKSPACE_BOUNDARY, COMMON_ROOT_BARREL] }],
    },
  },
  {
    // The store port knows no adapter: adapters depend on the port, never the reverse.
    files: ['common/src/store/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            WORKSPACE_BOUNDARY,
            { regex: '^\\./(mongo|memory)/', message: 'The port must not import an adapter.' },
            { regex: '^mongodb$', message: 'The port must not import the MongoDB driver.' },
          ],
        },
      ],
    },
  },
  {
    // The domain is pure: no I/O, so it can be reasoned about and tested without any process.
    files: ['common/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            WORKSPACE_BOUNDARY,
            {
              group: [
                'node:*',
                'fs',
                'http',
                'net',
                'mongodb',
                'winston',
                'prom-client',
                'uuid',
                '../store/*',
                '../observability/*',
              ],
              message: 'The domain is pure: no I/O.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'fetch', 'setTimeout', 'setInterval'],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
