// Public surface of the rules module.
export { checkRules, loadRules, type RulesCheck } from './load-rules.js';
