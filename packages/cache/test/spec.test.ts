import assert from 'node:assert/strict';
import { CacheSpecError, parseCacheSpec } from '../src/index.js';

describe('parseCacheSpec', () => {
  it('reads the three backends as buildx spells them', () => {
    assert.deepEqual(parseCacheSpec('type=registry,ref=127.0.0.1:5000/ci/cache:main,mode=max').location, { type: 'registry', ref: '127.0.0.1:5000/ci/cache:main', insecure: false });
    assert.equal(parseCacheSpec('type=registry,ref=r/x,mode=max').mode, 'max');
    assert.equal(parseCacheSpec('type=registry,ref=r/x').mode, 'min');
    assert.deepEqual(parseCacheSpec('type=local,dest=/c').location, { type: 'local', dir: '/c' });
    assert.deepEqual(parseCacheSpec('type=local,src=/c').location, { type: 'local', dir: '/c' });
    assert.deepEqual(parseCacheSpec('type=sftp,url=sftp://u@h:2222/p,key=/k,known_hosts=/kh').location,
      { type: 'sftp', url: 'sftp://u@h:2222/p', key: '/k', knownHosts: '/kh', hostKeyCheck: true });
    assert.equal((parseCacheSpec('type=sftp,url=sftp://h/p,host_key_check=false').location as { hostKeyCheck: boolean }).hostKeyCheck, false);
    assert.equal((parseCacheSpec('type=registry,ref=r/x,registry.insecure=true').location as { insecure: boolean }).insecure, true);
  });

  it('takes a bare value as a registry reference', () => {
    assert.deepEqual(parseCacheSpec('localhost:5000/cache').location, { type: 'registry', ref: 'localhost:5000/cache', insecure: false });
  });

  it('rejects what it does not understand with one line naming the flag and the value', () => {
    const bad: Array<[string, RegExp]> = [
      ['type=s3,bucket=x', /unknown cache type "s3"/],
      ['ref=x', /needs type=/],
      ['type=registry', /needs ref=/],
      ['type=local', /needs dest= or src=/],
      ['type=registry,ref=x,mode=all', /mode=all: want min or max/],
      ['type=registry,ref=x,colour=blue', /unknown option "colour"/],
      ['type=sftp,url=http://h/p', /want sftp:\/\/user@host/],
      ['type=sftp,url=sftp://h/p,host_key_check=maybe', /want true or false/],
      ['type=registry,ref=x,junk', /"junk" is not key=value/],
    ];
    for (const [text, re] of bad) {
      assert.throws(() => parseCacheSpec(text, '--cache-to'), (e: unknown) => e instanceof CacheSpecError && re.test(e.message) && e.message.startsWith(`--cache-to ${text}`) && !e.message.includes('\n'), text);
    }
  });
});
