import { packageProject } from '../../vitest.project';

export default packageProject('download');
