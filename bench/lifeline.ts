// Preloaded into a server the benchmark did not write (`node --import <this file> server.js`), so
// that it exits when the benchmark goes, as the benchmark's own children do (see BenchChild).
import { exitWhenParentGoes } from './bench-child.js';

exitWhenParentGoes();
