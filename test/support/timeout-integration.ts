// jest 29 ignores `testTimeout` inside a project's config ("Unknown option"), so the integration project sets its
// per-test timeout here (jest.config.js: setupFilesAfterEnv: ['<rootDir>/test/support/timeout-integration.ts']).
jest.setTimeout(600_000);
