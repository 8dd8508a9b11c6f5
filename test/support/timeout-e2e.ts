// jest 29 ignores `testTimeout` inside a project's config ("Unknown option"), so the e2e project sets its
// per-test timeout here (jest.config.js: setupFilesAfterEnv: ['<rootDir>/test/support/timeout-e2e.ts']).
jest.setTimeout(900_000);
