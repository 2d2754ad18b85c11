// ESLint keeps the house rules that used to hold by discipline: see docs/ARCHITECTURE.md ("Rules the tools keep").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node built-ins, bare and `node:`-prefixed: workflow code runs in Temporal's deterministic sandbox, which has none. */
const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

/** Modules a workflow may import only as types: they run in Node (I/O, the Temporal client, the process environment). */
const nodeSideFromWorkflows = ['activities', 'temporal', 'config', 'api', 'cli', 'monitor', 'worker', 'agents'].flatMap(
  (dir) => [`../${dir}`, `../${dir}/*`, `../${dir}/**`],
);

export default tseslint.config(
  {
    ignores: [
      'lib/**',
      '.bench-build/**',
      'node_modules/**',
      '.tools/**',
      'coverage/**',
      '.nightshift/**',
      'web/**',
      'test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // Forgetting to await an activity, a signal or a write loses it silently; fire-and-forget is written `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // Output goes through the logger; only the CLI and the demo agent talk to a terminal.
      'no-console': 'error',
      // src/config.ts is the one reader of the environment (zod-validated); everything else is given its settings.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings through src/config.ts (the one zod-validated reader of process.env).',
        },
      ],
    },
  },
  {
    files: ['src/config.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/cli/**/*.ts', 'src/agents/demo-agent.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code runs in the deterministic sandbox: no Node built-ins.',
          })),
          patterns: [
            {
              group: nodeSideFromWorkflows,
              allowTypeImports: true,
              message: 'Workflows import Node-side modules as types only (activities run them).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none', argsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
);
