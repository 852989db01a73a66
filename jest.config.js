// ESM TypeScript through ts-jest; `.js` suffixes in imports map back to the .ts sources.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Local clusters keep container images and volumes under .local/: never crawl them.
  modulePathIgnorePatterns: ['<rootDir>/.local/', '<rootDir>/dist/'],
  testTimeout: 30000,
  // Stops the local clusters this run started (ETCDOP_KEEP_CLUSTER=1 keeps them).
  globalSetup: '<rootDir>/test/helpers/cluster-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/cluster-teardown.ts',
};
