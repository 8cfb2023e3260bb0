// ESLint (flat config): typescript-eslint's recommended rules, a few type-aware ones that catch lost promises, and
// the layer rule: imports run transport → procedure → domain → db, never against it (docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What each layer must not import: every layer above it. Paths are import specifiers, matched as globs. */
const ABOVE = {
  db: ['domain', 'alerts', 'analysis', 'routers', 'trpc', 'rest', 'http', 'rooms'],
  domain: ['alerts', 'analysis', 'routers', 'trpc', 'rest', 'http', 'rooms'],
  analysis: ['routers', 'trpc', 'rest', 'http', 'rooms'],
  rooms: ['routers', 'trpc', 'rest'],
  alerts: ['routers', 'trpc', 'rest', 'http', 'rooms'],
  integrations: ['db', 'domain', 'alerts', 'analysis', 'routers', 'trpc', 'rest', 'http', 'rooms'],
  routers: ['rest'],
  trpc: ['rest'],
  http: ['routers', 'rest', 'rooms'],
  rest: [],
};
const TOP = ['app', 'server', 'main'];

const layerRule = (layer, above) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...above.map((name) => ({
            group: [`**/${name}/*`, `**/${name}/**`],
            message: `src/${layer} must not import src/${name} (layers: docs/architecture.md)`,
          })),
          { group: TOP.map((name) => `**/${name}.js`), message: 'only the entry points import app, server and main' },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'scratch/', 'console/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  ...Object.entries(ABOVE).map(([layer, above]) => layerRule(layer, above)),
  {
    files: ['schema/**/*.ts', 'migrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**'], message: 'the wire contract and migrations stand below src/' }] },
      ],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/**'], message: 'bench/ has its own helpers' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
