import { packageProject } from '../../vitest.project';

export default packageProject('data-fashion-mnist-mini');
