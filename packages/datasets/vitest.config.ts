import { packageProject } from '../../vitest.project';

export default packageProject('datasets', 60_000);
