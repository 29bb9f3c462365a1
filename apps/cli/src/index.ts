export { COMMANDS } from './commands/index';
export { type MeasurementEnvironment, measurementEnvironment } from './environment';
export { main } from './main';
export { type Column, markdownTable } from './report/markdown-table';
export { writeReport } from './report/write-report';
