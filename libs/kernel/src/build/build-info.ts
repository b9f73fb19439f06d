import { readFileSync } from 'node:fs';

/** Which code a process runs, as its Consul meta shows it. */
export interface BuildInfo {
  /** package.json version. */
  version: string;
  /** BUILD_ID, the git commit the build was made from, or "dev". */
  build: string;
  /** The Node.js version running it. */
  node: string;
}

/**
 * Written by scripts/write-build-info.mjs at the root of dist/, four levels above this compiled
 * file (dist/libs/kernel/src/build/build-info.js).
 */
const BUILD_INFO_FILE = new URL('../../../../build-info.json', import.meta.url);

/** The build of this process, from the file the build wrote (see parseBuildInfo). */
export function readBuildInfo(runtimeBuildId?: string): BuildInfo {
  return parseBuildInfo(readBuildInfoFile(), runtimeBuildId);
}

/**
 * A build-info file's content, with a BUILD_ID given at run time winning (an image built without one
 * can still be labelled). Never throws: a missing or damaged file means "unknown" and "dev", not an
 * app that will not start.
 */
export function parseBuildInfo(fileText: string | undefined, runtimeBuildId?: string): BuildInfo {
  let recorded: { version?: unknown; build?: unknown } = {};
  try {
    recorded = fileText ? JSON.parse(fileText) : {};
  } catch {
    // A damaged file labels nothing.
  }
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  return {
    version: text(recorded.version) ?? 'unknown',
    build: runtimeBuildId || (text(recorded.build) ?? 'dev'),
    node: process.versions.node,
  };
}

function readBuildInfoFile(): string | undefined {
  try {
    return readFileSync(BUILD_INFO_FILE, 'utf8');
  } catch {
    return undefined;
  }
}
