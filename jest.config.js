'use strict';
// Three projects: unit (pure cores, no I/O beyond temp files), integration (real
// peers on 127.0.0.1: sshd, redis-server, express), e2e (whole gateway, browser).
// ts-jest transpiles only (isolatedModules in tsconfig.json); `npm test` type-checks the whole tree first (pretest).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  // Real peers (sshd, redis-server, a browser) take seconds to start; e2e files raise it further.
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/reporters/summary.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
