import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRefusal, classifyAddress, hostRefusal, urlRefusal } from './destination-policy.js';

const permissive = { allowPrivate: true };
const strict = { allowPrivate: false };

describe('classifyAddress', () => {
  it('knows the metadata and link-local addresses, in IPv4 and IPv6', () => {
    assert.equal(classifyAddress('169.254.169.254'), 'metadata');
    assert.equal(classifyAddress('169.254.170.2'), 'metadata');
    assert.equal(classifyAddress('100.100.100.200'), 'metadata');
    assert.equal(classifyAddress('fd00:ec2::254'), 'metadata');
    assert.equal(classifyAddress('FD00:EC2:0:0:0:0:0:254'), 'metadata');
    assert.equal(classifyAddress('169.254.0.1'), 'link_local');
    assert.equal(classifyAddress('169.254.255.255'), 'link_local');
    assert.equal(classifyAddress('fe80::1'), 'link_local');
    assert.equal(classifyAddress('fe80::1%eth0'), 'link_local');
    assert.equal(classifyAddress('febf:ffff::1'), 'link_local');
  });

  it('sees the IPv4 address inside IPv4-mapped, -translated, -compatible and NAT64 IPv6 addresses', () => {
    for (const spelling of [
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '::FFFF:A9FE:A9FE',
      '0:0:0:0:0:ffff:a9fe:a9fe',
      '0000:0000:0000:0000:0000:ffff:169.254.169.254',
      '::ffff:0:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::169.254.169.254',
      '::a9fe:a9fe',
      '::169.254.169.254',
    ])
      assert.equal(classifyAddress(spelling), 'metadata', spelling);
    assert.equal(classifyAddress('::ffff:169.254.1.2'), 'link_local');
    assert.equal(classifyAddress('::ffff:127.0.0.1'), 'loopback');
    assert.equal(classifyAddress('::ffff:7f00:1'), 'loopback');
    assert.equal(classifyAddress('::ffff:10.1.2.3'), 'private');
    assert.equal(classifyAddress('::ffff:0.0.0.0'), 'unspecified');
    assert.equal(classifyAddress('::ffff:8.8.8.8'), 'public');
  });

  it('tells unspecified, loopback, private and public addresses apart', () => {
    assert.equal(classifyAddress('0.0.0.0'), 'unspecified');
    assert.equal(classifyAddress('0.1.2.3'), 'unspecified');
    assert.equal(classifyAddress('::'), 'unspecified');
    assert.equal(classifyAddress('0:0:0:0:0:0:0:0'), 'unspecified');
    assert.equal(classifyAddress('127.0.0.1'), 'loopback');
    assert.equal(classifyAddress('127.255.1.1'), 'loopback');
    assert.equal(classifyAddress('::1'), 'loopback');
    for (const address of [
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      'fc00::1',
      'fd12::1',
    ])
      assert.equal(classifyAddress(address), 'private', address);
    for (const address of [
      '8.8.8.8',
      '172.32.0.1',
      '169.253.255.255',
      '1.1.1.1',
      '2606:4700::1111',
      '64:ff9b::808:808',
    ])
      assert.equal(classifyAddress(address), 'public', address);
  });

  it('says nothing about what is not an IP address', () => {
    assert.equal(classifyAddress('example.com'), undefined);
    assert.equal(classifyAddress('[::1]'), undefined);
    assert.equal(classifyAddress(''), undefined);
  });
});

describe('addressRefusal', () => {
  it('always refuses metadata, link-local and unspecified addresses, naming them', () => {
    for (const policy of [permissive, strict]) {
      assert.deepEqual(addressRefusal('169.254.1.1', policy)?.target, 'a link-local/metadata address (169.254.1.1)');
      assert.match(addressRefusal('169.254.169.254', policy)?.target ?? '', /metadata address \(169\.254\.169\.254\)/);
      assert.match(addressRefusal('::', policy)?.target ?? '', /unspecified address/);
      assert.match(addressRefusal('::ffff:a9fe:a9fe', policy)?.remedy ?? '', /provider's own endpoint/);
    }
  });

  it('lets loopback and private addresses through unless private destinations are turned off', () => {
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.10', 'fd00::5'])
      assert.equal(addressRefusal(address, permissive), undefined, address);
    assert.deepEqual(addressRefusal('127.0.0.1', strict), {
      target: 'a loopback address (127.0.0.1)',
      remedy: 'give a public endpoint, or set INSTANCE_URL_ALLOW_PRIVATE=true to allow private and loopback servers',
    });
    assert.match(addressRefusal('10.0.0.7', strict)?.target ?? '', /^a private-network address \(10\.0\.0\.7\)$/);
    assert.equal(addressRefusal('8.8.8.8', strict), undefined);
  });
});

describe('hostRefusal', () => {
  it('refuses metadata host names in any case, with or without the trailing dot', () => {
    for (const host of [
      'metadata.google.internal',
      'METADATA.Google.Internal.',
      'metadata',
      'metadata.goog',
      'instance-data',
      'instance-data.ec2.internal.',
    ])
      assert.match(hostRefusal(host, permissive)?.target ?? '', /^a cloud metadata host \(/, host);
  });

  it('checks bracketed IPv6 literals and leaves other names to the lookup', () => {
    assert.match(hostRefusal('[::ffff:a9fe:a9fe]', permissive)?.target ?? '', /metadata address/);
    assert.match(hostRefusal('[::1]', strict)?.target ?? '', /loopback/);
    assert.equal(hostRefusal('[::1]', permissive), undefined);
    assert.equal(hostRefusal('api.openai.com', strict), undefined);
    assert.equal(hostRefusal('localhost', strict), undefined);
    assert.equal(hostRefusal('metadata.example.com', strict), undefined);
  });
});

describe('urlRefusal', () => {
  it('refuses the attack URLs with a reason that says what to do', () => {
    const cases: [string, RegExp][] = [
      ['http://169.254.169.254/latest/meta-data/', /points at a cloud metadata address \(169\.254\.169\.254\)/],
      ['http://[::ffff:a9fe:a9fe]/', /metadata address/],
      ['http://[::ffff:169.254.169.254]/', /metadata address/],
      ['http://2852039166/', /metadata address \(169\.254\.169\.254\)/],
      ['http://0xa9.0xfe.0xa9.0xfe/', /metadata address/],
      ['http://169.254.169.254./', /metadata address/],
      ['http://[fe80::1]:8080/v1', /link-local/],
      ['http://[fd00:ec2::254]/', /metadata address/],
      ['http://0.0.0.0:8080/', /unspecified/],
      ['http://0/', /unspecified/],
      ['http://[::]/', /unspecified/],
      ['http://metadata.google.internal/computeMetadata/v1/', /metadata host \(metadata\.google\.internal\)/],
      ['https://Metadata.Google.Internal./', /metadata host/],
      ['http://user:pass@api.example.com/v1', /must not carry user:password@.*apiKey or apiKeyEnv/],
      ['https://key@api.example.com/v1', /must not carry user:password@/],
      ['ftp://api.example.com/', /must be an http\(s\) URL/],
      ['file:///etc/passwd', /must be an http\(s\) URL/],
      ['not a url', /must be an absolute http\(s\) URL/],
    ];
    for (const [url, reason] of cases) assert.match(urlRefusal(url, permissive) ?? 'allowed', reason, url);
  });

  it('allows public and (by default) loopback and private servers', () => {
    for (const url of [
      'https://api.openai.com/v1',
      'http://127.0.0.1:8080/v1',
      'http://[::1]:8080',
      'http://10.0.0.5:11434/v1',
      'http://localhost:8080',
      'http://vllm.internal:8000/v1',
    ])
      assert.equal(urlRefusal(url, permissive), undefined, url);
    assert.match(
      urlRefusal('http://127.0.0.1:8080/v1', strict) ?? '',
      /loopback address.*INSTANCE_URL_ALLOW_PRIVATE=true/,
    );
    assert.match(urlRefusal('http://192.168.1.20/v1', strict) ?? '', /private-network address \(192\.168\.1\.20\)/);
    assert.equal(urlRefusal('https://api.openai.com/v1', strict), undefined);
  });
});
