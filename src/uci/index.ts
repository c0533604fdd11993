// What the rest of nym-vpn uses from src/uci.

export { UciError, describeUciError, formatUciError } from './errors.js';
export type { UciErrorCode, UciParsePosition } from './errors.js';
export type { UciListOption, UciOption, UciPackage, UciSection, UciStringOption } from './model.js';
export {
  addAnonymousSection,
  addListValue,
  clonePackage,
  createPackage,
  deleteOption,
  deleteSection,
  findOption,
  findSection,
  setListValues,
  setOption,
  setSection,
} from './model.js';
export { parseUci } from './parser.js';
export type { ParseOptions } from './parser.js';
export { exportPackage } from './export.js';
export { showPackage } from './show.js';
export { lookupUciPath, parseUciPath, resolveSection } from './lookup.js';
export {
  DEFAULT_CONFIG_DIR,
  loadUciConfig,
  readUciFile,
  serializeForCommit,
  updateUciConfig,
  writeUciConfig,
  writeUciFile,
} from './file.js';
