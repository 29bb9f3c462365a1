import { packageProject } from '../../vitest.project';

export default packageProject('seq2seq-translator');
