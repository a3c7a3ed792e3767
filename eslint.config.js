// ESLint flat config: typescript-eslint's recommended type-checked rules on the TypeScript sources
// (one program: the root tsconfig.json), plain recommended rules on the JavaScript entry points.
// `pnpm lint` runs it next to `prettier --check`; formatting rules are Prettier's job, not ESLint's.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      'bench/results/**',
      // Type-checked against the published packages by its own tsconfigs (see test/consumer/run.ts).
      'test/consumer/fixture/**',
      // The docs site's VitePress config: built and type-checked by VitePress itself, outside the workspace tsconfig.
      'docs/.vitepress/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Off: `async` is how Fastify handlers and Promise-returning interfaces (stores, hooks) are written even
      // without an await; a forgotten await is what no-floating-promises and no-misused-promises catch.
      '@typescript-eslint/require-await': 'off',
      // Parameters and bindings named with a leading underscore are deliberately unused (interface shapes).
      // Express's `req` is extended through the ambient namespace that @types/express declares (`declare global`).
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/test/**/*.ts', 'test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      // Off in tests only: response bodies (supertest `res.body`, `await res.json()`) are `any` by design and
      // the tests assert their shape with expect(); production code keeps these rules.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
)
