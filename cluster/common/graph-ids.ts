/**
 * The ids of the workflow graph's nodes (project/graph.ts derives the graph; the renderer keys
 * positions, selection and layout.json by them). One definition, browser-safe.
 */
export const fnNodeId = (id: string) => `fn:${id}`;
export const sourceNodeId = (urn: string) => `source:${urn}`;
export const artifactNodeId = (kind: 'data' | 'model', urn: string) => `${kind}:${urn}`;
export const triggerNodeId = (id: string) => `trigger:${id}`;
export const gateNodeId = (fn: string, i: number) => `gate:${fn}:${i}`;
