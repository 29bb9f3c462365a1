import { packageProject } from '../../vitest.project';

// The browser test builds the app, starts Chromium and loads presets: minutes on 2 CPU cores.
export default packageProject('playground', 300_000);
