// Flat config. The layer arrows of ARCHITECTURE.md are enforced here, not hoped for.
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const electronBan = { name: 'electron', message: 'src/core and src/shared never import electron (layer rule).' };
const reactBan = { name: 'react', message: 'only src/renderer uses React (layer rule).' };
const coreLayerPatterns = [
  { group: ['electron/*'], message: 'src/core never imports electron (layer rule).' },
  { group: ['**/main/**', '**/preload/**', '**/renderer/**'], message: 'src/core imports only src/shared and itself.' },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'scripts/**', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
      eqeqeq: ['error', 'always'],
      // A switch over a union names every member (or has a default that says why): a new status or
      // gateway cannot fall through silently.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },

  {
    files: ['src/shared/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan, reactBan],
          patterns: [
            { group: ['node:*'], message: 'src/shared is platform-free.' },
            { group: ['**/core/**', '**/main/**', '**/preload/**', '**/renderer/**'], message: 'src/shared imports nothing above it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan, reactBan],
          patterns: coreLayerPatterns,
        },
      ],
    },
  },
  {
    // The money core is gateway-neutral: gateways and devices plug in through src/core/payments/port.ts.
    files: ['src/core/payments/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan, reactBan],
          patterns: [
            ...coreLayerPatterns,
            {
              group: ['**/gateways/**', '**/devices/**'],
              message: 'src/core/payments is gateway-neutral: gateways and devices are adapters behind the port (payments/port.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'the renderer talks to the host only through the bridge client.' }],
          patterns: [
            { group: ['node:*'], message: 'the renderer is a sandboxed web page.' },
            { group: ['**/core/**', '**/main/**', '**/preload/**'], message: 'the renderer imports only src/shared and its own files.' },
          ],
        },
      ],
    },
  },
  {
    // The two classic hook rules. (The plugin's React-Compiler rules are for code compiled by the
    // React Compiler, which this renderer does not use.)
    files: ['src/renderer/**/*.{ts,tsx}', 'test/web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/core/**', '**/main/**', '**/renderer/**', 'node:*'], message: 'the preload knows electron and src/shared only.' }] },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/renderer/**', '**/preload/**'], message: 'main composes core; it never imports renderer or preload code.' }] },
      ],
    },
  },
  {
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
      'prefer-const': 'off',
    },
  },
  {
    files: ['*.config.ts', 'electron.vite.config.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
