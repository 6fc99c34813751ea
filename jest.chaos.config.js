// The chaos tier (`npm run chaos`), apart from `npm test`: minutes per scenario, its own MariaDB and
// Redis servers, one scenario at a time. CHAOS_SHORT=1 runs the short form CI uses.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

module.exports = {
  displayName: 'chaos',
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/chaos/**/*.chaos.spec.ts'],
  maxWorkers: 1,
};
