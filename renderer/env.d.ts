/// <reference types="vite/client" />
import type { StudioClient } from '../cluster/api/contract';

declare global {
  interface Window {
    /** The StudioApi: exposed by the Electron preload, or created over the WebSocket in browser mode. */
    studio?: StudioClient;
  }
}
export {};
