// Loads cheerio for feed HTML before a test file runs: tests call the normalising functions
// directly on the main thread, where the worker's code runs them after loadDom or through withDom.
import { loadDom } from '../../src/feeds/html-dom.js';

await loadDom();
