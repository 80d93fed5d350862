export * from './predicate';
export * from './names';
export * from './selector';
export * from './function';
export * from './workflow';
export * from '../common/errors';
export * from './topology';
