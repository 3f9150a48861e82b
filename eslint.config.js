import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const infrastructurePackages = ['fastify', 'fastify-*', '@fastify/*', 'pg', 'ioredis', 'kafkajs', 'tsyringe', 'reflect-metadata', '@eventstore/*', '@electric-sql/*', 'uWebSockets.js', 'pino', 'prom-client', 'commander'];

/** Dependencies point inward: domain ← application ← projections / gateways / infrastructure. */
function layerRule(forbiddenLayers, extraPackages = []) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbiddenLayers.map((layer) => ({ group: [`**/${layer}/**`], message: `this layer may not depend on ${layer}/ (see style.md, "dependencies")` })),
          { group: [...infrastructurePackages, ...extraPackages], message: 'adapters and their libraries belong in infrastructure/ or gateways/' },
        ],
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.run/**', '.cache/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['domain/**/*.ts'], rules: layerRule(['application', 'projections', 'gateways', 'infrastructure'], ['node:*', 'crypto', 'zod']) },
  { files: ['application/**/*.ts'], rules: layerRule(['projections', 'gateways', 'infrastructure']) },
  { files: ['projections/**/*.ts', 'gateways/**/*.ts'], rules: layerRule(['infrastructure']) },
);
