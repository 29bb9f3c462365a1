import { packageProject } from '../../vitest.project';

export default packageProject('cli', 300_000);
