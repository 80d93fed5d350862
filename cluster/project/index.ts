export * from './project';
export * from './graph';
export { newProject } from './template';
export { stableJson, writeFileAtomic } from './json';
