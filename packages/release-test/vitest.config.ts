import { packageProject } from '../../vitest.project';

// Publishing and `npm install` take minutes: a generous per-test limit.
export default packageProject('release-test', 420_000);
