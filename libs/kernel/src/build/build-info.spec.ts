import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBuildInfo } from './build-info.js';

describe('parseBuildInfo', () => {
  it('reads the version and build the build recorded, with the running Node version', () => {
    assert.deepEqual(parseBuildInfo('{"version":"1.2.3","build":"0123456789ab"}'), {
      version: '1.2.3',
      build: '0123456789ab',
      node: process.versions.node,
    });
  });

  it('lets a BUILD_ID given at run time label an unlabelled image', () => {
    assert.equal(parseBuildInfo('{"version":"1.2.3","build":"dev"}', 'release-42').build, 'release-42');
  });

  it('falls back to unknown and dev when the file is missing or damaged, rather than failing the start', () => {
    for (const text of [undefined, '', 'not json', '{"version":7}']) {
      const info = parseBuildInfo(text);
      assert.deepEqual([info.version, info.build], ['unknown', 'dev'], String(text));
    }
  });
});
