/// <reference types="vite/client" />

/** Set by vite.config.ts: true in a build, which has sw.js beside it. */
declare const __SERVICE_WORKER__: boolean;
