/**
 * What the browser-mode server loads once its page has been sent: the service, the parts of the
 * contract the socket needs (ws-server.ts's WsContract), and the parser (warmed up after the
 * start). Bundled on its own as CommonJS (dist/web/service.cjs), so that web.ts can load it through
 * V8's code cache (code-cache.ts); from the sources, or when that file is missing, web.ts imports
 * this module instead.
 */
export { StudioService } from './service';
export { WsRequestSchema, invalidRequest, EVENT_NAMES } from '../api/contract';
export { preprocessSource } from '../preprocessor/index';
