import { strict as assert } from 'node:assert';
import { parseReference, formatReference, apiHost, isLoopbackHost, ReferenceError, parsePlatform, selectPlatform, parseChallenges } from '../src/index.js';
import type { Descriptor, Digest } from '@strata/oci';

const D = ('sha256:' + 'a'.repeat(64)) as Digest;

describe('registry: references', () => {
  const cases: [string, string, string, string | undefined, string | undefined][] = [
    ['busybox', 'docker.io', 'library/busybox', 'latest', undefined],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined],
    ['user/app', 'docker.io', 'user/app', 'latest', undefined],
    ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined],
    ['index.docker.io/library/busybox:x', 'docker.io', 'library/busybox', 'x', undefined],
    ['localhost/app', 'localhost', 'app', 'latest', undefined],
    ['127.0.0.1:5000/a/b/c:v1', '127.0.0.1:5000', 'a/b/c', 'v1', undefined],
    [`quay.io/x/y@${D}`, 'quay.io', 'x/y', undefined, D],
    [`reg:5000/x:tag@${D}`, 'reg:5000', 'x', 'tag', D],
    ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', undefined],
  ];
  for (const [input, registry, repository, tag, digest] of cases) {
    it(`parses ${input}`, () => {
      const r = parseReference(input);
      assert.equal(r.registry, registry);
      assert.equal(r.repository, repository);
      assert.equal(r.tag, tag);
      assert.equal(r.digest, digest);
    });
  }
  for (const bad of ['', 'UPPER/case', 'a//b', 'app:bad tag', `x@sha256:12`, 'host:5000/', ':tag', 'a/-b']) {
    it(`rejects ${JSON.stringify(bad)} with one line`, () => {
      assert.throws(() => parseReference(bad), (e: Error) => e instanceof ReferenceError && !e.message.includes('\n') && e.message.includes('invalid image reference'));
    });
  }
  it('formats and maps hosts', () => {
    assert.equal(formatReference(parseReference('busybox')), 'docker.io/library/busybox:latest');
    assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(apiHost('127.0.0.1:5000'), '127.0.0.1:5000');
    assert.ok(isLoopbackHost('127.0.0.1:5000') && isLoopbackHost('localhost') && isLoopbackHost('[::1]:80'));
    assert.ok(!isLoopbackHost('example.com:5000'));
  });
});

describe('registry: platforms', () => {
  const m = (os: string, architecture: string, variant?: string): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) }, annotations: { p: `${os}/${architecture}/${variant ?? ''}` },
  });
  const list = [m('unknown', 'unknown'), m('linux', 'arm', 'v6'), m('linux', 'arm', 'v7'), m('linux', 'arm64', 'v8'), m('linux', 'amd64')];
  it('picks linux/amd64, arm/v7, arm64 without a variant', () => {
    assert.equal(selectPlatform(list, parsePlatform('linux/amd64'), 'r').annotations!.p, 'linux/amd64/');
    assert.equal(selectPlatform(list, parsePlatform('linux/arm/v7'), 'r').annotations!.p, 'linux/arm/v7');
    assert.equal(selectPlatform(list, parsePlatform('linux/arm64'), 'r').annotations!.p, 'linux/arm64/v8');
  });
  it('names what the index has when nothing matches', () => {
    assert.throws(() => selectPlatform(list, parsePlatform('linux/s390x'), 'reg/x:1'), /reg\/x:1: no manifest for platform linux\/s390x \(index has linux\/arm\/v6, linux\/arm\/v7, linux\/arm64\/v8, linux\/amd64\)/);
    assert.throws(() => parsePlatform('linux'), /invalid platform/);
  });
});

describe('registry: WWW-Authenticate', () => {
  it('parses bearer with quoted, comma-holding scope', () => {
    const c = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    assert.deepEqual(c, [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } }]);
  });
  it('parses basic and several challenges', () => {
    const c = parseChallenges('Basic realm="x y", Bearer realm="r\\"q", error=insufficient_scope');
    assert.equal(c.length, 2);
    assert.deepEqual(c[0], { scheme: 'basic', params: { realm: 'x y' } });
    assert.deepEqual(c[1], { scheme: 'bearer', params: { realm: 'r"q', error: 'insufficient_scope' } });
  });
});
