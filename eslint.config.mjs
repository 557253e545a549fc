// Type-aware lint rules (STYLE "Lint and types"): floating/misused promises, exhaustive
// switches, type-only imports, no `any`, and apps never importing each other.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const APPS = ['producer', 'processor', 'query-api'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      '.local/**',
      'coverage/**',
      'bench/results/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  ...APPS.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: APPS.filter((a) => a !== app).map((a) => `**/apps/${a}/**`),
              message: 'Apps never import each other: move shared code to libs/.',
            },
          ],
        },
      ],
    },
  })),
  // Scripts are clients of the services, as tools/ is: they reach shared code through libs/ or
  // tools/, never into an app's internals or the test tiers' helpers.
  {
    files: ['scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/apps/*/src/**', '**/test/support/**'],
              message:
                "Scripts do not import an app's src/ or test/support/: shared code goes to libs/ (what services share) or tools/ (clients of the services, e.g. tools/loadgen, tools/service-runner).",
            },
          ],
        },
      ],
    },
  },
  // The web console runs in the browser: browser globals, and Node's (process, Buffer, …) are errors.
  {
    files: ['apps/console/**/*.ts'],
    languageOptions: {
      globals: {
        ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])),
        ...globals.browser,
      },
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
